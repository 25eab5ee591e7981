"""The Slack adapter (docs/slack.md)."""
