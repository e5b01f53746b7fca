"""FAD211's premise, against SQLAlchemy itself (skipped where it is not installed).

A yield dependency closes its session at exit; FastAPI 0.106-0.117 runs that exit
before the background tasks. What the task then holds is detached: a lazy load
raises ``DetachedInstanceError``. The near-misses FAD211 stays silent on (an id,
a count, a copy, an object the task reloads) keep working.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
orm = pytest.importorskip("sqlalchemy.orm")
orm_exc = pytest.importorskip("sqlalchemy.orm.exc")


@pytest.fixture()
def world() -> Iterator[tuple[Any, Any, Any]]:
    Base = orm.declarative_base()

    class User(Base):  # type: ignore[misc,valid-type]
        __tablename__ = "users"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        email = sqlalchemy.Column(sqlalchemy.String)
        orders = orm.relationship("Order")

    class Order(Base):  # type: ignore[misc,valid-type]
        __tablename__ = "orders"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        user_id = sqlalchemy.Column(sqlalchemy.Integer, sqlalchemy.ForeignKey("users.id"))

    engine = sqlalchemy.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    SessionLocal = orm.sessionmaker(bind=engine)
    with SessionLocal() as s:
        s.add(User(id=1, email="a@example.com", orders=[Order(id=1)]))
        s.commit()
    yield User, SessionLocal, engine
    engine.dispose()


def _request(SessionLocal: Any, load: Any) -> Any:
    """What a route does with ``db = Depends(get_db)``, then the dependency's exit code."""

    def get_db() -> Iterator[Any]:
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()

    gen = get_db()
    db = next(gen)  # FastAPI enters the dependency
    handed = load(db)  # the route loads it and hands it to add_task
    gen.close()  # the exit code runs before the task (0.106-0.117)
    return handed


def test_loaded_object_is_detached_in_the_task(world: tuple[Any, Any, Any]) -> None:
    User, SessionLocal, _ = world
    for load in (
        lambda db: db.get(User, 1),
        lambda db: db.query(User).filter(User.id == 1).first(),
        lambda db: db.scalars(sqlalchemy.select(User)).one(),
        lambda db: db.execute(sqlalchemy.select(User)).scalar_one(),
    ):
        user = _request(SessionLocal, load)
        assert orm.object_session(user) is None  # detached
        with pytest.raises(orm_exc.DetachedInstanceError):
            user.orders  # the task's lazy load


def test_a_list_of_loaded_objects_is_detached_element_by_element(world: tuple[Any, Any, Any]) -> None:
    User, SessionLocal, _ = world
    users = _request(SessionLocal, lambda db: db.query(User).all())
    assert users and all(orm.object_session(u) is None for u in users)
    with pytest.raises(orm_exc.DetachedInstanceError):
        users[0].orders


def test_after_commit_even_a_column_raises(world: tuple[Any, Any, Any]) -> None:
    User, SessionLocal, _ = world

    def load_and_commit(db: Any) -> Any:
        user = db.get(User, 1)
        user.email = "b@example.com"
        db.commit()  # expire_on_commit: every attribute is expired
        return user

    user = _request(SessionLocal, load_and_commit)
    with pytest.raises(orm_exc.DetachedInstanceError):
        user.email


def test_near_misses_keep_working(world: tuple[Any, Any, Any]) -> None:
    User, SessionLocal, _ = world
    user_id = _request(SessionLocal, lambda db: db.get(User, 1).id)
    assert user_id == 1
    count = _request(SessionLocal, lambda db: db.query(User).count())
    assert count == 1
    copy = _request(SessionLocal, lambda db: {"id": db.get(User, 1).id, "email": db.get(User, 1).email})
    assert copy == {"id": 1, "email": "a@example.com"}
    ids = _request(SessionLocal, lambda db: db.scalars(sqlalchemy.select(User.id)).all())
    assert ids == [1]
    # the task reloads it (FAD211's "objects the task reloads"): merge into its own session
    user = _request(SessionLocal, lambda db: db.get(User, 1))
    with SessionLocal() as task_db:
        again = task_db.merge(user)
        assert [o.id for o in again.orders] == [1]
