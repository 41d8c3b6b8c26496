"""``na64 cache info`` and ``na64 cache clear``: the on-disk cache of physics tables.

The dark-bremsstrahlung tables of the signal generator are computed once and kept in
:mod:`na64.cache` (``platformdirs.user_cache_dir("na64")``, or ``$NA64_CACHE``;
``NA64_CACHE=off`` disables it).  ``info`` shows where it is and what it holds; ``clear``
removes its entries (they are recomputed when next needed).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..cache import cache_info, clear_cache

__all__ = ["register"]


def _size(n: int) -> str:
    """``n`` bytes in a readable unit (decimal prefixes)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def register(app: typer.Typer) -> None:
    """Add ``na64 cache`` (``info``, ``clear``) to ``app``."""
    group = typer.Typer(help="The on-disk cache of physics tables (NA64_CACHE).",
                        no_args_is_help=True)

    @group.command("info")
    def info(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """Show the cache directory, its number of entries and their size."""
        data = cache_info()
        if as_json:
            typer.echo(json.dumps(data))
            return
        if not data["enabled"]:
            typer.echo(f"cache: disabled ({data['env_var']}=off)")
            return
        typer.echo(f"directory: {data['directory']}")
        typer.echo(f"entries:   {data['entries']}")
        typer.echo(f"size:      {_size(data['bytes'])}")
        for kind, count in data["kinds"].items():
            typer.echo(f"  {kind}: {count}")

    @group.command("clear")
    def clear() -> None:
        """Remove every entry of the cache (tables are recomputed when next needed)."""
        data = cache_info()
        if not data["enabled"]:
            typer.echo(f"cache: disabled ({data['env_var']}=off); nothing removed")
            return
        removed = clear_cache()
        typer.echo(f"removed {removed} {'entry' if removed == 1 else 'entries'} from "
                   f"{data['directory']}")

    app.add_typer(group, name="cache")
