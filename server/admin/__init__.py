"""Admin in the browser: agents, quick replies, labels, opening hours per store and queues,
changed live (without a restart), each change validated like the settings file and audited."""
