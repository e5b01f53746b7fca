"""Shared dependencies."""
from typing import Annotated

from fastapi import Depends, HTTPException

from .db import Session, get_db

DB = Annotated[Session, Depends(get_db)]


def get_current_user(db: Session = Depends(get_db), token: str = "") -> dict:
    if not token:
        raise HTTPException(status_code=401)
    return {"name": "alice"}


class AdminOnly:
    def __call__(self, user: dict = Depends(get_current_user)) -> dict:
        if user["name"] != "admin":
            raise HTTPException(status_code=403)
        return user
