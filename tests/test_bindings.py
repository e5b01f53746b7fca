"""binding_of: what a bare name means where it is read (one test per kind of binding)."""

from __future__ import annotations

import ast
import textwrap

from flake8_fastapi_deps.facts.bindings import binding_of, is_builtin, is_builtin_name
from flake8_fastapi_deps.model import FunctionInfo, ModuleInfo, Scope, build_module

SOURCE = textwrap.dedent(
    """
    import os.path as osp
    from json import loads as parse
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from collections import OrderedDict

    LIMIT = 10

    def helper():
        pass

    class Model:
        str = "class attribute"

        def method(self):
            return str(self)

    def outer(open, *args, len=1, **kw):
        sorted = list
        def inner(min):
            import zipfile
            return open, sorted, inner, min, max
        return inner
    """
)


def _module() -> ModuleInfo:
    return build_module(ast.parse(SOURCE), "m.py", SOURCE)


def _function(mod: ModuleInfo, qualname: str) -> FunctionInfo:
    return next(f for f in mod.functions if f.qualname == qualname)


def _body(info: FunctionInfo) -> Scope:
    return info.parents + (info.node,)


def test_parameters_of_enclosing_functions() -> None:
    mod = _module()
    inner = _body(_function(mod, "outer.inner"))
    for name in ("open", "args", "len", "kw", "min"):
        found = binding_of(mod, name, inner)
        assert found.kind == "param", name
        assert isinstance(found.node, ast.arg) and found.node.arg == name


def test_local_assignment_and_nested_def() -> None:
    mod = _module()
    inner = _body(_function(mod, "outer.inner"))
    local = binding_of(mod, "sorted", inner)
    assert local.kind == "local" and isinstance(local.node, ast.Name) and local.node.id == "list"
    assert binding_of(mod, "inner", inner).kind == "nested_def"


def test_module_level_def_class_and_value() -> None:
    mod = _module()
    assert binding_of(mod, "helper", ()).kind == "def"
    assert binding_of(mod, "Model", ()).kind == "class"
    value = binding_of(mod, "LIMIT", ())
    assert value.kind == "value" and isinstance(value.node, ast.Constant)


def test_imports_give_the_qualified_name() -> None:
    mod = _module()
    assert binding_of(mod, "osp", ()).qualified == "os.path"
    assert binding_of(mod, "parse", ()).qualified == "json.loads"
    # imports the model cannot place (under TYPE_CHECKING, inside a function) bind the name too
    assert binding_of(mod, "OrderedDict", ()).kind == "import"
    assert binding_of(mod, "zipfile", ()).kind == "import"


def test_builtins_and_unbound() -> None:
    mod = _module()
    inner = _body(_function(mod, "outer.inner"))
    assert binding_of(mod, "max", inner).kind == "builtin"
    assert binding_of(mod, "anext", ()).kind == "builtin"  # also before Python 3.10
    assert binding_of(mod, "no_such_name", inner).kind == "unbound"
    assert is_builtin(mod, "max", inner)
    assert not is_builtin(mod, "open", inner)  # a parameter of outer


def test_class_body_is_no_scope_of_its_methods() -> None:
    mod = _module()
    method = _body(_function(mod, "Model.method"))
    assert binding_of(mod, "str", method).kind == "builtin"


def test_def_line_is_read_in_the_enclosing_scope() -> None:
    mod = _module()
    outer = _function(mod, "outer")
    # a parameter does not shadow a name in its own function's annotations or defaults
    assert is_builtin(mod, "open", outer.parents)
    assert not is_builtin(mod, "open", _body(outer))


def test_is_builtin_name() -> None:
    mod = _module()
    call = ast.parse("max(1)", mode="eval").body
    assert isinstance(call, ast.Call)
    assert is_builtin_name(mod, call.func, "max", ())
    assert not is_builtin_name(mod, call.func, "min", ())
    assert not is_builtin_name(mod, call, "max", ())


def test_marker_name_follows_the_enclosing_functions() -> None:
    from flake8_fastapi_deps.facts.bindings import marker_name

    source = textwrap.dedent(
        """
        import fastapi
        from fastapi import Depends, params

        def plain(a=Depends, b=fastapi.Security, c=params.Depends):
            pass

        def outer(Depends=None, fastapi=None):
            def inner(a=Depends, b=fastapi.Security, c=params.Depends):
                pass
        """
    )
    mod = build_module(ast.parse(source), "m.py", source)
    plain, outer, inner = mod.functions
    for info, want in (
        (plain, ["fastapi.Depends", "fastapi.Security", "fastapi.Depends"]),
        (inner, [None, None, "fastapi.Depends"]),
    ):
        assert [marker_name(mod, d, info.parents) for _, d in info.params] == want
