"""Database plumbing for the demo app (no FastAPI import here)."""
from typing import Iterator


class Session:
    def query(self, *args: object) -> list:
        return []

    def close(self) -> None:
        pass


def get_db() -> Iterator[Session]:
    db = Session()
    try:
        yield db
    finally:
        db.close()


def get_raw_db() -> Iterator[Session]:
    db = Session()
    yield db  # FAD201:5 close() is skipped whenever the route raises
    db.close()
