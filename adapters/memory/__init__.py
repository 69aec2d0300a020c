"""In-memory persistence: the fake used by unit tests, and a store for demos."""

from adapters.memory.repository import InMemoryTaskRepository, InMemoryTaskStore
from adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryTaskRepository", "InMemoryTaskStore", "InMemoryUnitOfWork"]
