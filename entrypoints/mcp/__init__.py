"""The MCP entrypoint: the application's task use cases as Model Context Protocol tools, for
AI agents, over streamable HTTP (``/mcp`` in the API's app) and stdio (``todo-admin mcp``)."""
