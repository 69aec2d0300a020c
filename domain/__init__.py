"""The domain: the Task aggregate and its rules. Standard library only."""
