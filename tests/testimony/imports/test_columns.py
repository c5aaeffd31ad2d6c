"""The column table (testimony/imports/columns.py) is the long form's one
description: the README's column table and lists name exactly its columns, and
the export writes them in its order."""

import re
from pathlib import Path

from testimony.imports.columns import COLUMNS, CONTRACT_COLUMNS, EXTENSION_COLUMNS, TABLE
from testimony.imports.staging import STAGE_COLUMNS
from testimony.longform import HEADER

README = Path(__file__).resolve().parents[3] / "README.md"


def import_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Import and export") : text.index("\n## ", text.index("## Import and export") + 1)]


def test_the_readme_column_table_lists_exactly_the_table_s_columns():
    section = import_section()
    table = section[section.index("| column | accepted | empty |") :].split("\n\n")[0]
    named = [name for line in table.splitlines()[2:] for name in re.findall(r"`([a-z_]+)`", line.split("|")[1])]
    assert sorted(named) == sorted(HEADER)  # each once: the table's columns and `studies`


def test_the_readme_lists_the_contract_s_columns_and_the_extensions_in_order():
    prose = " ".join(import_section().split())
    assert f"header: `{', '.join(CONTRACT_COLUMNS)}`" in prose
    assert f"The export adds `{', '.join(EXTENSION_COLUMNS)}`" in prose


def test_the_contract_s_columns_come_first_and_names_are_unique():
    assert COLUMNS[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert len(set(COLUMNS)) == len(COLUMNS) == len(TABLE)


def test_the_staging_table_has_a_column_per_table_column_and_precision():
    staged = {name for name, _ in STAGE_COLUMNS}
    for column in TABLE:
        assert column.staged in staged
        assert not column.precision or column.precision in staged
    assert len(staged) == len(STAGE_COLUMNS)
