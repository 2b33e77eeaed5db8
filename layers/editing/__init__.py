"""The planners' editor: its page, the layout API (drafts, commits, history), cuts, proposals."""
