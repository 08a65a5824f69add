"""``juanzong-stack``: start, stop and inspect the embedded stack."""

from __future__ import annotations

import sys

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
