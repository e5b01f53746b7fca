"""Item routes: each marked line is a pitfall the plugin reports."""
import time

from fastapi import APIRouter, Depends

from ..db import get_db, get_raw_db
from ..deps import DB, AdminOnly, get_current_user

router = APIRouter(prefix="/items")


@router.get("/")
def list_items(db=Depends(get_db())):  # FAD001:27 the dependency is called
    return db.query()


@router.delete("/{item_id}", dependencies=[Depends(AdminOnly)])  # FAD004:52 __call__ never runs
def delete_item(item_id: int, db: DB):
    return {"deleted": item_id}


@router.get("/mine")
def my_items(db: DB, user=Depends):  # FAD002:27 Depends is not called
    return db.query(user)


@router.get("/twice")
def twice(db: DB, other_db=Depends(get_db)):  # FAD005:19 one cached session, twice
    return db is other_db


@router.get("/raw")
async def raw(db=Depends(get_raw_db)):
    time.sleep(0.5)  # FAD102:5 blocks the event loop for every request
    return db.query()


def nightly_report() -> dict:
    return get_current_user()  # FAD003:12 db and token get Depends markers
