"""newsdigest's application side: the CLI and (as they land) the command layer, the views, the
chat adapters and the scheduler. It builds on the ``digests`` library, never the other way."""
