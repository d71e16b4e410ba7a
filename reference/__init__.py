"""The project's own complete cs231n package, laid out exactly like a submission (reference solutions + provided helpers)."""
