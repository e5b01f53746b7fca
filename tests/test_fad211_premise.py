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


# ----------------------------------------------------------------------------- through project helpers


def test_objects_from_project_helpers_are_detached_too(world: tuple[Any, Any, Any]) -> None:
    """``crud.get_user(db, id)``, ``UserRepo(db).get(id)``, ``user_crud.get(db, id)``: the
    helper loads through the session it was handed, so the object belongs to the
    request's session and is expunged when it closes."""
    User, SessionLocal, _ = world

    def get_user(db: Any, user_id: int) -> Any:
        return db.query(User).filter(User.id == user_id).first()

    def get_user_or_404(db: Any, user_id: int) -> Any:
        user = db.get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        return user

    class UserRepo:
        def __init__(self, db: Any) -> None:
            self.db = db

        def get(self, user_id: int) -> Any:
            return self.db.get(User, user_id)

    class CRUDBase:
        def __init__(self, model: Any) -> None:
            self.model = model

        def get(self, db: Any, object_id: int) -> Any:
            return db.query(self.model).filter(self.model.id == object_id).first()

    user_crud = CRUDBase(User)
    for load in (
        lambda db: get_user(db, 1),
        lambda db: get_user_or_404(db, 1),
        lambda db: UserRepo(db).get(1),
        lambda db: user_crud.get(db, 1),
    ):
        user = _request(SessionLocal, load)
        assert orm.object_session(user) is None
        with pytest.raises(orm_exc.DetachedInstanceError):
            user.orders


def test_a_helper_with_its_own_session_also_hands_out_a_detached_object(
    world: tuple[Any, Any, Any],
) -> None:
    """Why FAD211 stays silent on ``with SessionLocal() as s: return s.get(...)`` although
    the task would fail the same: the object is detached when the helper returns, not
    by the request's session, so FAD211's message would be wrong about it."""
    User, SessionLocal, _ = world

    def get_user_own_session(user_id: int) -> Any:
        with SessionLocal() as s:
            return s.get(User, user_id)

    user = _request(SessionLocal, lambda db: get_user_own_session(1))
    with pytest.raises(orm_exc.DetachedInstanceError):
        user.orders


def test_helper_near_misses_keep_working(world: tuple[Any, Any, Any]) -> None:
    User, SessionLocal, _ = world

    def get_user_data(db: Any, user_id: int) -> dict[str, Any]:
        user = db.get(User, user_id)
        return {"id": user.id, "email": user.email}

    def count_users(db: Any) -> int:
        return int(db.query(User).count())

    def get_user_id(db: Any, email: str) -> Any:
        return db.query(User.id).filter(User.email == email).scalar()

    assert _request(SessionLocal, lambda db: get_user_data(db, 1)) == {"id": 1, "email": "a@example.com"}
    assert _request(SessionLocal, count_users) == 1
    assert _request(SessionLocal, lambda db: get_user_id(db, "a@example.com")) == 1


# ----------------------------------------------------------------------------- a real FastAPI app


def _fastapi_version() -> tuple[int, ...]:
    fastapi = pytest.importorskip("fastapi")
    return tuple(int(part) for part in fastapi.__version__.split(".")[:2])


@pytest.mark.parametrize("scope", [None, "function"])
def test_the_task_of_a_real_app(tmp_path: Any, scope: Any) -> None:
    """A yield dependency closing its session, a route loading a user through a crud
    helper, a background task touching a lazy relationship. What happens depends on
    when FastAPI runs the dependency's exit code: before the task on 0.106-0.117 and
    with ``scope="function"`` (0.121+): DetachedInstanceError; after it on 0.118+
    (and up to 0.105): the task works, with the request's session still open."""
    version = _fastapi_version()
    if scope is not None and version < (0, 121):
        pytest.skip("Depends(scope=...) needs FastAPI 0.121")
    pytest.importorskip("httpx")
    from fastapi import BackgroundTasks, Depends, FastAPI
    from fastapi.testclient import TestClient

    Base = orm.declarative_base()

    class User(Base):  # type: ignore[misc,valid-type]
        __tablename__ = "users"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        orders = orm.relationship("Order")

    class Order(Base):  # type: ignore[misc,valid-type]
        __tablename__ = "orders"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        user_id = sqlalchemy.Column(sqlalchemy.Integer, sqlalchemy.ForeignKey("users.id"))

    engine = sqlalchemy.create_engine(
        f"sqlite:///{tmp_path / 'app.db'}", connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    SessionLocal = orm.sessionmaker(bind=engine)
    with SessionLocal() as s:
        s.add(User(id=1, orders=[Order(id=1)]))
        s.commit()

    events: list[str] = []
    outcome: dict[str, Any] = {}

    def get_db() -> Iterator[Any]:
        db = SessionLocal()
        try:
            yield db
        finally:
            events.append("session closed")
            db.close()

    def get_user(db: Any, user_id: int) -> Any:  # the crud helper
        return db.query(User).filter(User.id == user_id).first()

    def email_orders(user: Any) -> None:
        events.append("task")
        try:
            outcome["orders"] = [o.id for o in user.orders]
        except orm_exc.DetachedInstanceError as exc:
            outcome["error"] = exc

    marker = Depends(get_db) if scope is None else Depends(get_db, scope=scope)
    app = FastAPI()

    def email(user_id, tasks, db=marker):
        user = get_user(db, user_id)
        tasks.add_task(email_orders, user)  # what FAD211 reports
        return {"queued": True}

    # real objects, not the strings this module's postponed annotations would give FastAPI
    email.__annotations__ = {"user_id": int, "tasks": BackgroundTasks}
    app.post("/users/{user_id}/email")(email)

    with TestClient(app) as client:
        assert client.post("/users/1/email").status_code == 200
    engine.dispose()
    closed_first = scope == "function" or (0, 106) <= version < (0, 118)
    if closed_first:
        assert events == ["session closed", "task"]
        assert isinstance(outcome.get("error"), orm_exc.DetachedInstanceError)
    else:
        assert events == ["task", "session closed"]
        assert outcome == {"orders": [1]}  # attached: the request's session held through the task
