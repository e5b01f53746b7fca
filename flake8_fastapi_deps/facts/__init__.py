"""The fact layer: facts rules query, computed once."""
