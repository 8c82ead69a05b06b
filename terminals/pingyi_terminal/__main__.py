"""``pingyi-terminal`` command (SPEC §4): run | simulate | selftest | check-config.

Exit codes: 0 ok; 1 runtime failure (refused credentials, self-test failed); 2 bad config or usage;
3 simulate ended with rows still queued (nobody acknowledged them).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from ._version import __version__
from .config import Config, ConfigError, load_config


def _load(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"pingyi-terminal: config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _broker(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, 1883
    try:
        p = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad broker {value!r}: expected host:port") from None
    if not host or not 1 <= p <= 65535:
        raise argparse.ArgumentTypeError(f"bad broker {value!r}: expected host:port")
    return host, p


def cmd_run(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    from .agent import Agent, make_mqtt_transport
    from .clock import boot_id

    boot = boot_id()
    agent = Agent(cfg, make_mqtt_transport(cfg, boot), boot=boot)

    def on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("pingyi_terminal").info("signal %d: stopping", signum)
        agent.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.start()
    while not agent.wait(1.0):
        pass
    agent.stop()
    if agent.fatal:
        print(f"pingyi-terminal: {agent.fatal}", file=sys.stderr)
        return 1
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate

    host, port = args.broker
    return simulate(count=args.count, rate=args.rate, duration=args.duration, host=host, port=port,
                    prefix=args.prefix, directory=args.dir, scale=args.scale, armed=args.armed,
                    repeat_interval_s=args.repeat_interval, drain_timeout=args.drain_timeout, seed=args.seed)


def cmd_selftest(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    from .selftest import run_selftest

    return run_selftest(cfg, timeout_s=args.timeout, check_mqtt=not args.skip_mqtt)


def cmd_check_config(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    print(f"ok: terminal {cfg.terminal_id}, {cfg.scale} scale, broker {cfg.mqtt.host}:{cfg.mqtt.port}, "
          f"outbox {cfg.outbox}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pingyi-terminal", description="pingyi window rating terminal agent")
    p.add_argument("--version", action="version", version=f"pingyi-terminal {__version__}")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run the agent (systemd service)")
    r.add_argument("--config", required=True, help="TOML config file (e.g. /etc/pingyi-terminal/config.toml)")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("simulate", help="run N agents on mock pins pressing random buttons")
    s.add_argument("--count", type=int, default=1, help="number of simulated terminals (default 1)")
    s.add_argument("--rate", type=float, default=1.0, help="presses per second, all terminals together")
    s.add_argument("--duration", type=float, default=10.0, help="seconds of pressing")
    s.add_argument("--broker", type=_broker, default=("127.0.0.1", 1883), help="host:port (default 127.0.0.1:1883)")
    s.add_argument("--prefix", default="sim", help="terminal id prefix: <prefix>-0001 … (default sim)")
    s.add_argument("--dir", default=None, help="outbox directory (default: a temporary one)")
    s.add_argument("--scale", choices=["five", "three"], default="five")
    s.add_argument("--armed", action="store_true", help="armed mode; the staff button is pressed before 90%%")
    s.add_argument("--repeat-interval", type=float, default=3.0, help="repeat rule seconds (default 3)")
    s.add_argument("--drain-timeout", type=float, default=30.0, help="seconds to wait for acks at the end")
    s.add_argument("--seed", type=int, default=None)
    s.set_defaults(func=cmd_simulate)

    t = sub.add_parser("selftest", help="walk the LED and ask for every button (stop the service first)")
    t.add_argument("--config", required=True)
    t.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each button")
    t.add_argument("--skip-mqtt", action="store_true", help="do not try the broker")
    t.set_defaults(func=cmd_selftest)

    c = sub.add_parser("check-config", help="validate a config file")
    c.add_argument("--config", required=True)
    c.set_defaults(func=cmd_check_config)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate" and (args.count < 1 or args.rate < 0 or args.duration < 0):
        print("pingyi-terminal: simulate: --count must be ≥ 1, --rate and --duration ≥ 0", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
