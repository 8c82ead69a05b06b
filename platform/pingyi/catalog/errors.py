"""Adapter layer: reads a surveys/ file and turns msgspec decoding errors into DataFileError (SPEC §2, §4).

msgspec reports a problem as English text with a path, e.g. ``Expected `int` <= 9 - at `$.answers[0].points```.
This module keeps msgspec's path (minus ``$.``), which is the notation the office already knows
(``aspects[2].items[3].id``, indexes from 0), and words the problem in Chinese from the field's schema (its type and
constraints, read with msgspec.inspect), the offending value and the field's ``Meta(extra={"zh": ...})`` wording.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import msgspec
import msgspec.inspect as mi
import msgspec.toml

from pingyi.core.errors import DataFileError

T = TypeVar("T")

_TYPE_NAMES: dict[type, str] = {str: "文本", int: "整数", list: "列表", dict: "表", bool: "真假值", float: "小数"}
_KIND_NAMES: dict[type, str] = {mi.StrType: "文本", mi.IntType: "整数", mi.FloatType: "小数", mi.BoolType: "真假值",
                                mi.ListType: "列表", mi.StructType: "表", mi.DictType: "表"}

# The default Chinese wording; a field's Meta(extra={"zh": {...}}) may override any of these.
_WORDING = {
    "missing": "缺少必填字段",
    "unknown": "未知字段（可用字段：{allowed}），是否拼错了？",
    "type": "应为{kind}，实际为{actual}",
    "tables": "应为表格列表（[[{field}]] 或 [{{...}}, ...]），实际为{actual}",
    "empty": "不能为空",
    "control": "含有控制字符（换行、制表符等）",
    "too_long": "有 {length} 个字，最多 {max} 个字",
    "too_few": "至少需要一项",
    "pattern": "{value!r} 格式不对：{rule}",
    "range": "{value} 超出范围：应为 {low}–{high} 的整数{why}",
    "choice": "{value!r} 应为 {choices} 之一",
}

_MESSAGE_RE = re.compile(r"^(?P<text>.*?)(?: - at `(?P<path>[^`]*)`(?: in `(?P<outer>[^`]*)`)?)?$", re.S)
_STEP_RE = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")


def describe(value: Any) -> str:
    """A value as the office would read it: ``整数 3``, ``文本 '3'``, ``列表``."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    return f"{kind} {value!r}" if not isinstance(value, (dict, list)) else kind


def join(prefix: str, rest: str, sep: str = ".") -> str:
    """``five`` + ``levels[1]`` -> ``five.levels[1]``; ``第 8 行`` + ``code`` with sep " " -> ``第 8 行 code``."""
    if not prefix or not rest:
        return prefix or rest
    return prefix + rest if rest.startswith("[") else prefix + sep + rest


class FileReader:
    """One file of surveys/: every problem raises DataFileError(file name, field, problem)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def fail(self, field: str, problem: str) -> NoReturn:
        raise DataFileError(self.name, field or "（文件）", problem)

    def read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.fail("（文件）", f"文件不存在：{self.path}")
        except OSError as exc:
            self.fail("（文件）", f"无法读取 {self.path}：{exc.strerror or exc}")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.fail(f"第 {line} 行", "文件不是 UTF-8 编码（在 Excel / WPS 中请另存为“CSV UTF-8”）")

    def decode_toml(self, schema: type[T]) -> T:
        """The whole file decoded into `schema` (a msgspec Struct)."""
        text = self.read_text()
        try:
            return msgspec.toml.decode(text, type=schema)
        except msgspec.ValidationError as exc:
            self.invalid(exc, schema, tomllib.loads(text))
        except msgspec.DecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            self.fail(f"第 {match.group(1)} 行" if match else "（语法）", f"TOML 语法错误：{exc}")

    def toml(self) -> dict[str, Any]:
        """The file as plain TOML data, for files whose top level is not one fixed table."""
        return self.decode_toml(dict[str, Any])

    def convert(self, data: Any, schema: type[T], prefix: str = "", sep: str = ".") -> T:
        """`data` (part of a file, reported under `prefix`) converted into `schema`."""
        try:
            return msgspec.convert(data, schema, str_keys=True)
        except msgspec.ValidationError as exc:
            self.invalid(exc, schema, data, prefix, sep)

    def invalid(self, exc: msgspec.ValidationError, schema: Any, data: Any, prefix: str = "",
                sep: str = ".") -> NoReturn:
        self.fail(*explain(str(exc), schema, data, prefix, sep))


# --------------------------------------------------------------------------------------------- explaining


def explain(message: str, schema: Any, data: Any, prefix: str = "", sep: str = ".") -> tuple[str, str]:
    """(field, Chinese problem) for msgspec's `message` about `data` decoded as `schema`, which is the part of the
    file at `prefix` (e.g. the table ``five``, or ``第 8 行`` with `sep` " ")."""
    match = _MESSAGE_RE.match(message)
    assert match is not None  # the pattern matches any text
    text, path = match["text"], match["path"] or "$"
    if match["outer"]:  # a bad mapping key ("- at `key` in `$.x`") is reported at the mapping
        path = match["outer"]
    steps = _steps(path)
    info, wording = _field_at(mi.type_info(schema), steps)
    value = _value_at(data, steps)
    field = join(prefix, _render(steps), sep)

    named = re.match(r"Object (missing required|contains unknown) field `([^`]*)`", text)
    if named:
        field = join(field, named[2], sep)
        if named[1] == "missing required":
            return field, _WORDING["missing"]
        allowed = ", ".join(sorted(f.encode_name for f in _struct(info).fields)) if _struct(info) else ""
        return field, _WORDING["unknown"].format(allowed=allowed)

    if steps and isinstance(steps[-1], int) and _struct(info) is not None:  # a list item that is not a table
        steps = steps[:-1]
        field, value = join(prefix, _render(steps), sep), _value_at(data, steps)
        info = mi.ListType(info, None, None)
    if isinstance(info, mi.ListType) and _struct(info.item_type) is not None and not _is_tables(value):
        return field, _say(wording, "tables", field=field, actual=describe(value))
    if isinstance(info, mi.LiteralType):
        if isinstance(value, type(info.values[0])):
            return field, _say(wording, "choice", value=value, choices=" / ".join(map(str, info.values)))
        return field, _say(wording, "type", kind=_kind(info), actual=describe(value))
    if ", got `" in text:  # msgspec: "Expected `int`, got `str`"
        return field, _say(wording, "type", kind=_kind(info), actual=describe(value))
    return field, _constraint(info, wording, value)


def _constraint(info: Any, wording: dict[str, Any], value: Any) -> str:
    """Which constraint of `info` the (well-typed) `value` breaks, in Chinese."""
    if isinstance(info, mi.StrType):
        if info.max_length is not None and len(value) > info.max_length:
            return _say(wording, "too_long", length=len(value), max=info.max_length)
        if (wording.get("text") or "empty" in wording) and not value.strip():
            return _say(wording, "empty")
        if wording.get("text"):
            return _say(wording, "control")
        return _say(wording, "pattern", value=value, rule=wording.get("rule", ""))
    if isinstance(info, (mi.IntType, mi.FloatType)):
        return _say(wording, "range", value=value, low=info.ge, high=info.le, why=wording.get("why", ""))
    if isinstance(info, mi.ListType):
        return _say(wording, "too_few", min=info.min_length)
    return f"取值不符合要求（{value!r}）"


def _say(wording: dict[str, Any], key: str, **values: Any) -> str:
    return str(wording.get(key, _WORDING[key])).format(**values)


def _steps(path: str) -> list[str | int]:
    """``$.aspects[2].id`` -> ["aspects", 2, "id"]; a mapping value (msgspec writes ``[...]``) stays "[...]"."""
    return [name if name else (int(index) if index.isdigit() else "[...]")
            for name, index in _STEP_RE.findall(path.removeprefix("$"))]


def _render(steps: list[str | int]) -> str:
    return "".join(f"[{s}]" if isinstance(s, int) else s if s == "[...]" else f".{s}" for s in steps).removeprefix(".")


def _unwrap(info: Any) -> tuple[Any, dict[str, Any]]:
    """(type without its Metadata wrapper and without None, the field's zh wording)."""
    wording: dict[str, Any] = {}
    if isinstance(info, mi.Metadata):
        wording = dict((info.extra or {}).get("zh", {}))
        info = info.type
    if isinstance(info, mi.UnionType):
        others = [t for t in info.types if not isinstance(t, mi.NoneType)]
        info = others[0] if len(others) == 1 else info
    return info, wording


def _struct(info: Any) -> Any:
    info, _ = _unwrap(info)
    return info if isinstance(info, mi.StructType) else None


def _field_at(info: Any, steps: list[str | int]) -> tuple[Any, dict[str, Any]]:
    info, wording = _unwrap(info)
    for step in steps:
        if isinstance(step, str) and isinstance(info, mi.StructType):
            info = next((f.type for f in info.fields if f.encode_name == step), None)
        elif isinstance(info, mi.ListType):
            info = info.item_type
        elif isinstance(info, mi.DictType):
            info = info.value_type
        info, wording = _unwrap(info)
    return info, wording


def _value_at(data: Any, steps: list[str | int]) -> Any:
    for step in steps:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, dict) for x in value)


def _kind(info: Any) -> str:
    if isinstance(info, mi.LiteralType):
        return _TYPE_NAMES.get(type(info.values[0]), "文本")
    return _KIND_NAMES.get(type(info), "正确类型")
