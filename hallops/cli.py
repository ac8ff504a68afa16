"""The `hallops` command: serve, init, migrate, user add|list|disable|enable|reset-password, token
create|list|revoke.

Every command takes --db PATH (or HALLOPS_DB) and --config FILE (or HALLOPS_CONFIG), so two halls or a
test can run side by side on different files.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import sys
import tomllib
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from hallops import __version__
from hallops.config import Config, ConfigError, load_config
from hallops.domain.errors import DomainError
from hallops.domain.model import Role
from hallops.storage.db import open_database
from hallops.storage.ports import Ports
from hallops.usecases import UseCases
from hallops.usecases.accounts import OPERATOR

log = logging.getLogger("hallops")
T = TypeVar("T")
DEMO_TOKEN_LABELS = ("demo-kiosk", "demo-manager", "demo-display")


def demo_layout() -> dict[str, Any]:
    return tomllib.loads(resources.files("hallops").joinpath("demo_hall.toml").read_text(encoding="utf-8"))


async def _with_usecases(config: Config, fn: Callable[[UseCases], Awaitable[T]]) -> T:
    """Run `fn` with the application layer on the configured database, as the server would build it."""
    from hallops.demo import DemoClock
    from hallops.http.app import rules_from

    clock = DemoClock()  # real time; the demo sets it back to record its yesterday
    db = open_database(config.database.path, clock=clock, **(config.database.options() | {"readers": 1}))
    await db.open()
    try:
        return await fn(UseCases.build(Ports.build(db, rules_from(config)), config, clock))
    finally:
        await db.close()


async def ensure_demo(uc: UseCases) -> tuple[bool, dict[str, str]]:
    """Load the demo hall into an empty database; (re)issue the demo tokens. Returns (loaded, tokens)."""
    from hallops.demo import fill_demo, refresh_demo
    from hallops.demo_district import district_layouts, open_centres

    loaded = False
    if not await uc.halls.list(OPERATOR):
        # The district centre and the 62 centres below it (issue 10), in one transaction.
        await uc.layout.load_all([demo_layout(), *district_layouts(demo_layout()["hall"]["code"])])
        loaded = True
    hall = (await uc.halls.list(OPERATOR))[0]
    # Open every day, patrolled from the demo's start, slots bookable from today; a fresh hall gets yesterday.
    booking = await (fill_demo if loaded else refresh_demo)(uc, hall["id"])
    await open_centres(uc, with_tickets=loaded)
    accounts = uc.accounts
    for t in await accounts.tokens(OPERATOR):
        if t["label"] in DEMO_TOKEN_LABELS and t["revoked_at"] is None:
            await accounts.revoke_token(OPERATOR, t["id"])
    tokens = {}
    for label, role in zip(DEMO_TOKEN_LABELS, (Role.KIOSK, Role.MANAGER, Role.DISPLAY), strict=True):
        tokens[label], _ = await accounts.create_token(OPERATOR, role=role, hall=hall["id"], window=None,
                                                       label=label)
    tokens["demo-booking"] = booking  # an appointment code that checks in now (not a token)
    return loaded, tokens


def _print_demo(config: Config, tokens: dict[str, str]) -> None:
    """One screen (24 lines of 100 columns): where to point a browser, who to sign in as, the device links."""
    host, port = config.server.host, config.server.port
    base = f"http://{host}:{port}"
    layout = demo_layout()
    code = layout["hall"]["code"]
    k, d = tokens["demo-kiosk"], tokens["demo-display"]
    users: dict[str, list[dict[str, Any]]] = {}
    for u in layout["users"]:
        users.setdefault(u["role"], []).append(u)
    print(f"\nhallops {__version__}: demo hall “{layout['hall']['name']}” in {config.database.path}")
    print(f"  Staff pages: {base}/   sign in as (password):")
    for role, us in users.items():
        names = ", ".join(u["username"] for u in us)
        print(f"    {role:8} {names}  ({us[0]['password']})")
    print("  Devices (the token in the link signs the device in; new at every start):")
    print(f"    kiosk          {base}/kiosk/{code}#token={k}")
    print(f"    lobby screen   {base}/displays/{code}/lobby?token={d}")
    print(f"    window screen  {base}/displays/{code}/window/5?token={d}")
    print(f"    phone          {base}/m/{code}   (一码取号; its QR code: /m/{code}/qr.svg)")
    print(f"  Try: 预约签到 at the kiosk with code {tokens['demo-booking']}, then call it at window 1 (clerk1);")
    print("       yesterday's statistics and briefing are under Reports (manager).")
    print(f"  API: {base}/api/v1/openapi.json  (token for scripts: {tokens['demo-manager']})\n",
          flush=True)


def tune_gc() -> None:
    """Fewer, not longer, garbage collections for a server holding thousands of live screens.

    With 3,000 websocket subscribers each broadcast leaves short-lived objects that the default young
    threshold (700) promotes, and a full collection over all connections ran about once a second for
    ~100 ms, the p99 of a call reaching every screen went from ~40 ms to ~170 ms (bench_broadcast.py).
    A larger young generation lets them die young; freezing what start-up built keeps it out of every
    full collection. Cyclic garbage is still collected."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from aiohttp import web

    from hallops.http.app import create_app

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if overrides:
        config = config.model_copy(update={"server": config.server.model_copy(update=overrides)})
    if not config.database.is_postgres:
        from hallops.storage.health import preflight

        db_path = Path(config.database.path)
        if not db_path.exists() and not (args.create or args.demo):
            print(f"hallops: no database at {db_path} (restore a backup, run `hallops init`, or give --create)",
                  file=sys.stderr)
            return 2
        problems = preflight(db_path)
        if problems:
            print("hallops: " + "; ".join(problems), file=sys.stderr)
            return 2
    if args.workers > 1 and not config.database.is_postgres:
        print("hallops: --workers needs PostgreSQL (--db postgresql://…): on SQLite one process is the writer",
              file=sys.stderr)
        return 2
    if args.demo:
        _, tokens = asyncio.run(_with_usecases(config, ensure_demo))
        _print_demo(config, tokens)
    if args.workers > 1:
        from hallops.workers import supervise

        return supervise(args.workers, sys.argv[1:])
    import faulthandler

    from hallops.logs import configure as configure_logs

    faulthandler.enable()  # a fatal signal (SIGBUS, SIGSEGV) leaves a traceback in the log, not silence
    configure_logs(config.service_day.tz)
    app = create_app(config)
    tune_gc()
    web.run_app(app, host=config.server.host, port=config.server.port, reuse_port=args.reuse_port or None,
                shutdown_timeout=config.server.shutdown_timeout,
                print=lambda msg: print(msg.replace("======== ", "").replace(" ========", ""), flush=True),
                access_log=None)
    return 0


def cmd_migrate_to_postgres(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from hallops.storage.transfer import TransferError, copy_sqlite_to_postgres

    bars: dict[str, Any] = {}

    def progress(table: str, done: int, total: int) -> None:
        bar = bars.get(table)
        if bar is None:
            for b in bars.values():
                b.close()
            bar = bars[table] = tqdm(total=total, desc=f"{table:24}", unit=" rows", file=sys.stderr, leave=True)
        bar.update(done - bar.n)

    try:
        report = copy_sqlite_to_postgres(Path(args.sqlite_path), args.url, progress)
    except TransferError as e:
        print(f"hallops: {e} (nothing was copied)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhallops: interrupted; nothing was copied", file=sys.stderr)
        return 130
    finally:
        for b in bars.values():
            b.close()
    print(f"copied {sum(report.tables.values())} rows of {len(report.tables)} tables; counts checked")
    for table, n in report.tables.items():
        if n:
            print(f"  {table:24} {n:>10}")
    for hall_id, seq in report.halls.items():
        print(f"  hall {hall_id}: events 1…{seq}, gapless")
    print(f"  waiting lines rebuilt: {report.waiting} tickets waiting")
    return 0


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    async def run(uc: UseCases) -> None:
        if args.layout:
            spec = tomllib.loads(await asyncio.to_thread(Path(args.layout).read_text, encoding="utf-8"))
            hall_id = await uc.layout.load(spec)
            print(f"loaded hall {spec['hall']['code']} (id {hall_id}) from {args.layout}")
        if args.demo:
            loaded, tokens = await ensure_demo(uc)
            print("demo hall loaded" if loaded else "demo hall already present")
            for label, tok in tokens.items():
                print(f"  {label:13} {tok}")
    asyncio.run(_with_usecases(config, run))
    print(f"database ready: {config.database.path}")
    return 0


def cmd_migrate(args: argparse.Namespace, config: Config) -> int:
    async def run(uc: UseCases) -> list[int]:
        # Opening the database applies what is missing (and logs it).
        return await uc.ctx.ports.schema_versions()
    versions = asyncio.run(_with_usecases(config, run))
    print(f"{config.database.path}: schema at migration {max(versions) if versions else 0:04d} "
          f"({len(versions)} applied)")
    return 0


def cmd_user_add(args: argparse.Namespace, config: Config) -> int:
    password = os.environ.get("HALLOPS_PASSWORD") or (
        sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: "))

    async def run(uc: UseCases) -> dict[str, Any]:
        return await uc.accounts.add_user(OPERATOR, username=args.username, display_name=args.name or args.username,
                                          role=Role(args.role), password=password, hall=args.hall or None)
    user = asyncio.run(_with_usecases(config, run))
    print(f"added {user['role']} {user['username']} (id {user['id']})")
    return 0


def cmd_token_create(args: argparse.Namespace, config: Config) -> int:
    async def run(uc: UseCases) -> str:
        token, _ = await uc.accounts.create_token(OPERATOR, role=Role(args.role), hall=args.hall or None,
                                                  window=args.window, label=args.label or "")
        return token
    print(asyncio.run(_with_usecases(config, run)))
    return 0


def cmd_user_list(args: argparse.Namespace, config: Config) -> int:
    users = asyncio.run(_with_usecases(config, lambda uc: uc.accounts.users(OPERATOR)))
    print(f"{'id':>4}  {'username':16} {'role':8} {'hall':>4} {'window':>6}  status  name")
    for u in users:
        status = "active" if u["active"] else "disabled"
        if u["active"] and u["must_change_password"]:
            status = "change"
        print(f"{u['id']:>4}  {u['username']:16} {u['role']:8} {u['hall_id'] or '*':>4} {u['window_id'] or '-':>6}  "
              f"{status:7} {u['display_name']}")
    return 0


def cmd_user_active(args: argparse.Namespace, config: Config) -> int:
    active = args.user_command == "enable"

    async def run(uc: UseCases) -> dict[str, Any]:
        user = await uc.accounts.user(OPERATOR, args.username)
        return await uc.accounts.set_active(OPERATOR, user["id"], active)
    user = asyncio.run(_with_usecases(config, run))
    print(f"{'enabled' if active else 'disabled'} {user['username']} (id {user['id']})"
          + ("" if active else ": their sessions ended and their tokens stopped"))
    return 0


def cmd_user_reset_password(args: argparse.Namespace, config: Config) -> int:
    async def run(uc: UseCases) -> dict[str, Any]:
        user = await uc.accounts.user(OPERATOR, args.username)
        return await uc.accounts.reset_password(OPERATOR, user["id"])
    out = asyncio.run(_with_usecases(config, run))
    print(f"one-time reset code for {out['user']['username']} (valid until {out['expires_at']}, once):")
    print(f"  {out['code']}")
    print(f"  or open {out['link']} on this server")
    return 0


def cmd_token_list(args: argparse.Namespace, config: Config) -> int:
    tokens = asyncio.run(_with_usecases(config, lambda uc: uc.accounts.tokens(OPERATOR)))
    print(f"{'id':>4}  {'role':10} {'hall':>4} {'window':>6}  {'last used':24} {'status':8} label")
    for t in tokens:
        if t["revoked_at"] and not args.all:
            continue
        print(f"{t['id']:>4}  {t['role']:10} {t['hall_id'] or '*':>4} {t['window_id'] or '-':>6}  "
              f"{t['last_used_at'] or 'never':24} {'revoked' if t['revoked_at'] else 'active':8} {t['label']}")
    return 0


def cmd_token_revoke(args: argparse.Namespace, config: Config) -> int:
    asyncio.run(_with_usecases(config, lambda uc: uc.accounts.revoke_token(OPERATOR, args.token_id)))
    print(f"revoked token {args.token_id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given before or after the subcommand, the option is kept (a subparser's default would win).
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="a SQLite database file (default var/hallops.db) or a postgresql:// URL (env HALLOPS_DB)")
    common.add_argument("--config", default=argparse.SUPPRESS, help="TOML configuration file (env HALLOPS_CONFIG)")
    p = argparse.ArgumentParser(prog="hallops", description="Hall operations and queue management server.",
                                parents=[common])
    p.add_argument("--version", action="version", version=f"hallops {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", parents=[common], help="run the server")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--demo", action="store_true", help="load the demo hall into an empty database; print tokens")
    s.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="N",
                   help="run N server processes on one port (PostgreSQL only)")
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for each worker
    s.add_argument("--create", action="store_true", help="create the database when it does not exist")
    s.set_defaults(fn=cmd_serve)
    mp = sub.add_parser("migrate-to-postgres", parents=[common],
                        help="copy a SQLite installation into an empty PostgreSQL database, and check the copy")
    mp.add_argument("sqlite_path", help="the SQLite database file (may be in use)")
    mp.add_argument("url", help="postgresql://USER@HOST/DB (an empty database)")
    mp.set_defaults(fn=cmd_migrate_to_postgres)
    i = sub.add_parser("init", parents=[common], help="create the database (and load a hall)")
    i.add_argument("--demo", action="store_true", help="load the demo hall")
    i.add_argument("--layout", help="load a hall from a layout TOML file (the format of the demo hall)")
    i.set_defaults(fn=cmd_init)
    m = sub.add_parser("migrate", parents=[common], help="apply database migrations")
    m.set_defaults(fn=cmd_migrate)
    u = sub.add_parser("user", parents=[common], help="staff accounts")
    usub = u.add_subparsers(dest="user_command", required=True)
    ua = usub.add_parser("add", parents=[common], help="add a staff account (password from HALLOPS_PASSWORD, "
                                                        "stdin or a prompt)")
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=["admin", "manager", "clerk"])
    ua.add_argument("--name", help="display name")
    ua.add_argument("--hall", help="hall id or code (default: every hall)")
    ua.set_defaults(fn=cmd_user_add)
    usub.add_parser("list", parents=[common], help="list staff accounts").set_defaults(fn=cmd_user_list)
    for verb, what in (("disable", "disable an account: its sessions and tokens stop at once; its history stays"),
                       ("enable", "enable a disabled account")):
        ud = usub.add_parser(verb, parents=[common], help=what)
        ud.add_argument("username")
        ud.set_defaults(fn=cmd_user_active)
    ur = usub.add_parser("reset-password", parents=[common],
                         help="print a one-time code (and link) for the user to set a new password")
    ur.add_argument("username")
    ur.set_defaults(fn=cmd_user_reset_password)
    t = sub.add_parser("token", parents=[common], help="device and script tokens")
    tsub = t.add_subparsers(dest="token_command", required=True)
    tc = tsub.add_parser("create", parents=[common], help="create a token and print it (shown once)")
    tc.add_argument("--role", required=True, choices=[r.value for r in Role])
    tc.add_argument("--hall", help="hall id or code")
    tc.add_argument("--window", type=int, help="window id (clerk and display tokens)")
    tc.add_argument("--label", help="what the token is for, e.g. kiosk-1")
    tc.set_defaults(fn=cmd_token_create)
    tl = tsub.add_parser("list", parents=[common], help="list tokens (never their secrets) with their last use")
    tl.add_argument("--all", action="store_true", help="revoked tokens too")
    tl.set_defaults(fn=cmd_token_list)
    tr = tsub.add_parser("revoke", parents=[common], help="revoke a token (by id, from token list)")
    tr.add_argument("token_id", type=int)
    tr.set_defaults(fn=cmd_token_revoke)
    from hallops.backup_cli import register as register_backup

    register_backup(sub, common)  # backup DEST, restore SRC
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("HALLOPS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = load_config(getattr(args, "config", None), getattr(args, "db", None))
        return int(args.fn(args, config))
    except ConfigError as e:
        print(f"hallops: {e}", file=sys.stderr)
        return 2
    except DomainError as e:
        print(f"hallops: {e.message} [{e.code}]", file=sys.stderr)
        return 1
