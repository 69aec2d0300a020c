"""``todo-admin``: the operators' command line."""
