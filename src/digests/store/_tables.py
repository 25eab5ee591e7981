"""The schema, as SQLAlchemy Core tables. Alembic migrations must keep the database equal to it
(tests/test_migrations.py checks)."""

from __future__ import annotations

import sqlalchemy as sa

from digests.store._types import JSONDocument, UTCDateTime

# Constraint names are stable across backends, so migrations can refer to them.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text),
    sa.Column("site_url", sa.Text),
    sa.Column("language", sa.String(16)),
    sa.Column("region", sa.String(32)),
    sa.Column("full_text", sa.String(10), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_fetched_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("next_check_at", UTCDateTime, index=True),
    sa.Column("failure_count", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("items_skipped", sa.Integer, nullable=False, server_default="0"),
)

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("text_source", sa.String(10), nullable=False),
    sa.Column("author", sa.Text),
    sa.Column("published_at", UTCDateTime, index=True),
    sa.Column("updated_at", UTCDateTime),
    sa.Column("first_seen_at", UTCDateTime, nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("seen_on_first_poll", sa.Boolean, nullable=False),
    sa.Column("analysed_at", UTCDateTime, index=True),
    sa.Column("analysis_summary", JSONDocument),
    sa.Column("analysis_error", sa.Text),
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="SET NULL"), index=True),
    sa.UniqueConstraint("feed_id", "key", name="uq_articles_feed_id_key"),
)

actor_mentions = sa.Table(
    "actor_mentions",
    metadata,
    sa.Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("actor_key", sa.String(120), primary_key=True, index=True),
    sa.Column("count", sa.Integer, nullable=False),
)

topic_mentions = sa.Table(
    "topic_mentions",
    metadata,
    sa.Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("topic_key", sa.String(120), primary_key=True, index=True),
    sa.Column("score", sa.Float, nullable=False),
)

positions = sa.Table(
    "positions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("actor_key", sa.String(120), nullable=False),
    sa.Column("stance", sa.String(20), nullable=False),
    sa.Column("claim", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("speaker", sa.Text),
    sa.Column("speaker_role", sa.Text),
    sa.Column("topic_key", sa.String(120), index=True),
    sa.Column("target_key", sa.String(120)),
    sa.Column("channel", sa.Text),
    sa.Column("stated_at", UTCDateTime),
    sa.Column("confidence", sa.Float),
    # The positions lookup: an actor's (or those aimed at an actor) in a window, newest first.
    sa.Index("ix_positions_actor_key_stated_at", "actor_key", "stated_at"),
    sa.Index("ix_positions_actor_key_topic_key_stated_at", "actor_key", "topic_key", "stated_at"),
    sa.Index("ix_positions_target_key_stated_at", "target_key", "stated_at"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("filters", JSONDocument, nullable=False),
    sa.Column("local_time", sa.Time, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("days", sa.String(20), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_delivered_at", UTCDateTime),
    sa.UniqueConstraint(
        "platform",
        "workspace_id",
        "channel_id",
        name="uq_subscriptions_platform_workspace_id_channel_id",
    ),
)

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("actor_key", sa.String(120), nullable=False, index=True),
    # "" rather than NULL for "any topic", so the unique constraint holds on both backends.
    sa.Column("topic_key", sa.String(120), nullable=False),
    sa.Column("created_by", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Positions up to this id were looked at: alerts are for newer ones.
    sa.Column("seen_position_id", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint(
        "platform",
        "workspace_id",
        "channel_id",
        "actor_key",
        "topic_key",
        name="uq_watches_channel_actor_topic",
    ),
)

# The outbox of watch alerts, as ``deliveries`` is that of digests: unique per (watch, period).
watch_alerts = sa.Table(
    "watch_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "watch_id", sa.Integer, sa.ForeignKey("watches.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("period", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("nonce", sa.String(25), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("message_ids", JSONDocument, nullable=False),
    sa.Column("error", sa.Text),
    # The statement: its (actor, speaker, stance, topic) and its normalised claim.
    sa.Column("bucket", sa.String(400)),
    sa.Column("claim", sa.Text),
    sa.UniqueConstraint("watch_id", "period", name="uq_watch_alerts_watch_id_period"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "subscription_id",
        sa.Integer,
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("period", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("nonce", sa.String(25)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("message_ids", JSONDocument, nullable=False),
    sa.Column("error", sa.Text),
    sa.UniqueConstraint(
        "subscription_id",
        "kind",
        "period",
        name="uq_deliveries_subscription_id_kind_period",
    ),
)

# Slack's OAuth v2 installs (multi-workspace HTTP mode): one row per install of the app
# (``client_id``) in a workspace or, enterprise-wide, in an org; ``data`` is the whole
# installation as the Slack adapter keeps it. The newest row of a workspace (or of one of its
# users) is the one in force.
slack_installations = sa.Table(
    "slack_installations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("enterprise_id", sa.String(64)),
    sa.Column("team_id", sa.String(64)),  # NULL: an enterprise-wide install
    sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),  # the installer
    sa.Column("installed_at", UTCDateTime, nullable=False),
    sa.Column("data", JSONDocument, nullable=False),
    # The newest install of a workspace (or org), and the newest of one of its users.
    sa.Index(
        "ix_slack_installations_team_installed_at",
        "client_id",
        "enterprise_id",
        "team_id",
        "installed_at",
    ),
    sa.Index(
        "ix_slack_installations_team_user_installed_at",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

# The OAuth ``state`` values issued with install links: each is good once, until it expires.
slack_oauth_states = sa.Table(
    "slack_oauth_states",
    metadata,
    sa.Column("state", sa.String(128), primary_key=True),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)
