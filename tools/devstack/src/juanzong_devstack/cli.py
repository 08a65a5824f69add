"""``juanzong-stack``: start, stop and inspect the embedded stack."""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.table import Table

from juanzong_devstack.secrets import STATIONS
from juanzong_devstack.stack import SERVICES, EmbeddedStack, StackConfig, StackError, port_open

app = typer.Typer(help="卷宗 embedded stack: RabbitMQ, SecantusDB, SeaweedFS S3 and the six services.",
                  no_args_is_help=True)
console = Console(stderr=True)


def _stack() -> EmbeddedStack:
    try:
        return EmbeddedStack(StackConfig.from_env())
    except StackError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@app.command()
def up(services: list[str] = typer.Option(None, "--service", "-s", help="Only these services (repeatable)."),
       infra_only: bool = typer.Option(False, help="Start broker, database and S3 only."),
       workers: int = typer.Option(None, help="OCR worker processes (default JZ_STACK_OCR_WORKERS or 1).")) -> None:
    """Start everything (idempotent: what already runs is kept) and wait until every service is ready."""
    stack = _stack()
    unknown = [s for s in services or [] if s not in SERVICES]
    if unknown:
        console.print(f"[red]error:[/red] unknown service {', '.join(unknown)}; known: {', '.join(SERVICES)}")
        raise typer.Exit(2)
    try:
        with console.status("starting broker, database and object storage…"):
            notes = stack.start_infra()
        for note in notes:
            console.print(f"  [green]✓[/green] {note}")
        if infra_only:
            return
        names = services or list(SERVICES)
        with console.status(f"starting {len(names)} services and waiting for /readyz…"):
            for name in names:
                stack.start_service(name)
            if "scan-ocr" in names:
                stack.start_ocr_workers(workers)
            stack.wait_ready(names)
    except StackError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    _print_status(stack)


@app.command()
def down() -> None:
    """Stop what the stack started (data is kept)."""
    stack = _stack()
    stopped = stack.down()
    console.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))


@app.command()
def status() -> None:
    """Show each process and service readiness."""
    _print_status(_stack())


@app.command()
def env(service: str) -> None:
    """Print the JZ_ environment a service gets on this stack (for running one by hand); for a station
    (``station-01``), the path of its credentials file (the station CLI's ``--credentials``)."""
    stack = _stack()
    if service in STATIONS:
        path = stack.config.station_credentials_file(service)
        if not path.exists():
            console.print(f"[red]error:[/red] {path} does not exist yet: run juanzong-stack up once")
            raise typer.Exit(1)
        print(f"export JZ_STATION_CREDENTIALS='{path}'")
        return
    if service not in SERVICES:
        console.print(f"[red]error:[/red] unknown service or station {service}; known: "
                      f"{', '.join((*SERVICES, *STATIONS))}")
        raise typer.Exit(2)
    for key, value in stack.config.service_env(service).items():
        print(f"export {key}='{value}'")


dlq_app = typer.Typer(help="Dead-letter queues (死信队列): list, show, replay, discard.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")

_SERVICE_HELP = "A service (intake, scan-ocr, …) or one of its subscriptions (scan-ocr.pages)."


@dataclass
class _Broker:
    amqp_url: str
    namespace: str


@dlq_app.callback()
def _dlq_options(ctx: typer.Context,
                 amqp_url: str = typer.Option(None, envvar="JZ_AMQP_URL", show_default=False,
                                              help="Broker URL (default: the embedded stack's)."),
                 namespace: str = typer.Option(None, envvar="JZ_BUS_NAMESPACE", show_default=False,
                                               help="Bus namespace (default: the embedded stack's).")) -> None:
    if not amqp_url or not namespace:
        config = StackConfig.from_env()
        amqp_url, namespace = amqp_url or config.amqp_url, namespace or config.namespace
    ctx.obj = _Broker(amqp_url, namespace)


def _dlq_run(action):
    from juanzong_devstack.dlq import DeadLetterError
    try:
        return asyncio.run(action)
    except DeadLetterError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None


def _service_name(service: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)?", service):
        console.print(f"[red]error:[/red] not a service: {service}")
        raise typer.Exit(2)
    return service


@dlq_app.command("list")
def dlq_list(ctx: typer.Context, service: str = typer.Argument(None, help=_SERVICE_HELP)) -> None:
    """Each service's dead-letter queues with the number of messages waiting."""
    from juanzong_devstack.dlq import DeadLetters, dead_letter_queue, subscription_queues
    broker: _Broker = ctx.obj
    services = [_service_name(service)] if service else list(SERVICES)

    async def depths():
        async with DeadLetters(broker.amqp_url) as letters:
            return [(name, q, await letters.depth(dead_letter_queue(q)))
                    for name in services for q in subscription_queues(broker.namespace, name)]
    table = Table(title=f"死信队列 dead-letter queues ({broker.namespace})")
    table.add_column("service")
    table.add_column("queue")
    table.add_column("depth", justify="right")
    for name, queue, depth in _dlq_run(depths()):
        shown = "[dim]not declared[/dim]" if depth is None else (f"[red]{depth}[/red]" if depth else "0")
        table.add_row(name, dead_letter_queue(queue), shown)
    Console().print(table)


def _one_dlq(broker: _Broker, service: str) -> str:
    from juanzong_devstack.dlq import dead_letter_queue, subscription_queues
    return dead_letter_queue(subscription_queues(broker.namespace, _service_name(service))[0])


@dlq_app.command("show")
def dlq_show(ctx: typer.Context, service: str = typer.Argument(..., help=_SERVICE_HELP),
             limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many messages.")) -> None:
    """The messages at the head of a service's DLQ (they stay there)."""
    from juanzong_devstack.dlq import DeadLetters
    dlq = _one_dlq(ctx.obj, service)

    async def peek():
        async with DeadLetters(ctx.obj.amqp_url) as letters:
            return await letters.depth(dlq), await letters.show(dlq, limit)
    depth, shown = _dlq_run(peek())
    table = Table(title=f"{dlq}: {len(shown)} of {depth}")
    for column in ("id", "event type", "case", "routing key", "attempts", "reason"):
        table.add_column(column, overflow="fold")
    for letter in shown:
        table.add_row(letter.message_id, letter.event_type, letter.case_id, letter.routing_key,
                      "" if letter.attempts is None else str(letter.attempts), letter.reason)
    Console().print(table)


def _take(ctx: typer.Context, service: str, ids: list[str] | None, every: bool, replay: bool) -> None:
    from rich.progress import Progress

    from juanzong_devstack.dlq import DeadLetters
    if bool(ids) == every:
        console.print("[red]error:[/red] give --id (repeatable) or --all")
        raise typer.Exit(2)
    dlq = _one_dlq(ctx.obj, service)
    verb = "replayed" if replay else "discarded"

    async def run():
        async with DeadLetters(ctx.obj.amqp_url) as letters:
            total = (await letters.depth(dlq) or 0) if every else len(ids)
            with Progress(console=console, disable=not every) as progress:
                task = progress.add_task(f"{verb[:-1]}ing {dlq}", total=total)
                act = letters.replay if replay else letters.discard
                return await act(dlq, ids or (), every=every, progress=lambda _: progress.advance(task))
    taken = _dlq_run(run())
    for letter in taken:
        print(f"{verb} {letter.message_id} {letter.event_type} {letter.case_id}")
    console.print(f"{len(taken)} message(s) {verb} from {dlq}")


@dlq_app.command("replay")
def dlq_replay(ctx: typer.Context, service: str = typer.Argument(..., help=_SERVICE_HELP),
               ids: list[str] = typer.Option(None, "--id", help="Message (event) id; repeatable."),
               every: bool = typer.Option(False, "--all", help="Every message now in the DLQ.")) -> None:
    """Send dead letters back to the service's queue (attempt count reset), then remove them from the DLQ."""
    _take(ctx, service, ids, every, replay=True)


@dlq_app.command("discard")
def dlq_discard(ctx: typer.Context, service: str = typer.Argument(..., help=_SERVICE_HELP),
                ids: list[str] = typer.Option(None, "--id", help="Message (event) id; repeatable."),
                every: bool = typer.Option(False, "--all", help="Every message now in the DLQ."),
                yes: bool = typer.Option(False, "--yes", help="Confirm: the messages are gone for good.")) -> None:
    """Delete dead letters for good (needs --yes)."""
    if not yes:
        console.print("[red]refused:[/red] discarding cannot be undone; add --yes (look first with dlq show)")
        raise typer.Exit(2)
    _take(ctx, service, ids, every, replay=False)


def _print_status(stack: EmbeddedStack) -> None:
    import httpx
    c = stack.config
    table = Table(title="卷宗 embedded stack")
    table.add_column("component")
    table.add_column("address")
    table.add_column("state")
    host, port = c.amqp_host_port
    table.add_row("RabbitMQ", f"{host}:{port}", "up" if port_open(host, port) else "[red]down[/red]")
    table.add_row("SecantusDB", c.mongo_address, "up" if port_open("127.0.0.1", c.mongo_port) else "[red]down[/red]")
    table.add_row("SeaweedFS S3", c.s3_endpoint, "up" if port_open("127.0.0.1", c.s3_port) else "[red]down[/red]")
    for name in SERVICES:
        url = c.service_url(name)
        try:
            response = httpx.get(url + "/readyz", timeout=3)
            state = "[green]ready[/green]" if response.status_code == 200 else f"[yellow]{response.json().get('detail')}[/yellow]"
        except httpx.HTTPError:
            state = "[red]down[/red]"
        table.add_row(name, url + "/docs", state)
    workers = [n for n in stack.procs.names() if n.startswith("ocr-worker")]
    table.add_row("OCR workers", "-", f"{len(workers)} running")
    table.add_row("data", str(c.data_dir), "")
    Console().print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())
