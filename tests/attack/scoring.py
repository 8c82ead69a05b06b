"""Test helper: score every linkage of one observation against the truth (SPEC §3). See stats.py for the null."""

from __future__ import annotations

from dataclasses import dataclass

from . import stats
from .attacker import Observation, Rows
from .voting import CastBallot, Voting


@dataclass(frozen=True)
class Linkage:
    copy: str
    order: str
    name: str
    units: int
    correct: int | None  # exact matches of the attacker's bijection, when the linkage is one
    tau: float | None
    p: float

    def line(self) -> str:
        hits = f"{self.correct}/{self.units} exact" if self.correct is not None else f"{self.units} units"
        tau = f"tau {self.tau:+.2f}" if self.tau is not None else ""
        return f"{self.copy:<36} {self.order:<20} {self.name:<36} {hits:<14} {tau:<10} p={self.p:.2g}"


def _spent_tag(token: str) -> str | None:
    from pingyi.core import cardcodes

    fn = getattr(cardcodes, "spent_tag", None)
    return fn(token) if fn else None


def _order_linkages(label: str, order: str, name: str, rows: Rows, truth: dict[str, CastBallot],
                    exact: bool) -> list[Linkage]:
    """Stored order of `rows` against submission order (hence time, through the access log)."""
    units = [(rows.keys[i][order], truth[i].rank) for i in rows.keys if i in truth and order in rows.keys[i]]
    if len(units) < 3:
        return []
    keys, true_ranks = [u[0] for u in units], [u[1] for u in units]
    s, var, tau = stats.kendall(keys, true_ranks)
    out = [Linkage(label, order, f"{name} ↔ submission order", len(units), None, tau, stats.kendall_p(s, var))]
    if exact:  # the attacker's bijection: k-th stored row ↔ k-th ballot submitted (k-th successful log line)
        guess, real = stats.ranks(keys), stats.ranks(true_ranks)
        correct = sum(g == r for g, r in zip(guess, real, strict=False))
        out.append(Linkage(label, order, f"{name} ↔ submission time (log)", len(units), correct, None,
                           stats.fixed_points_p(len(units), correct)))
    return out


def _pair_linkages(label: str, order: str, name: str, a: Rows, ta: dict[str, CastBallot], b: Rows,
                   tb: dict[str, CastBallot], exact: bool) -> list[Linkage]:
    """Stored order of kind a against stored order of kind b, over ballots present in both."""
    by_ballot_a = {ta[i].rank: a.keys[i][order] for i in a.keys if i in ta and order in a.keys[i]}
    by_ballot_b = {tb[i].rank: b.keys[i][order] for i in b.keys if i in tb and order in b.keys[i]}
    both = sorted(set(by_ballot_a) & set(by_ballot_b))
    if len(both) < 3:
        return []
    xa, xb = [by_ballot_a[r] for r in both], [by_ballot_b[r] for r in both]
    s, var, tau = stats.kendall(xa, xb)
    out = [Linkage(label, order, f"{name} (orders)", len(both), None, tau, stats.kendall_p(s, var))]
    if exact:
        ga, gb = stats.ranks(xa), stats.ranks(xb)
        # k-th a paired with k-th b: right when the same ballot
        correct = sum(p == q for p, q in zip(ga, gb, strict=False))
        out.append(Linkage(label, order, f"{name} (k-th with k-th)", len(both), correct, None,
                           stats.fixed_points_p(len(both), correct)))
    return out


def score(voting: Voting, obs: Observation) -> list[Linkage]:
    ballots = voting.ballots
    designated = {f"{b.designated[0]}:{b.designated[1]}": b for b in ballots}
    any_section = {f"{d}:{a}": b for b in ballots for d, a in b.sections.items()}
    opinions = {b.opinion: b for b in ballots}
    receipts = {b.receipt: b for b in ballots}
    cards = {b.token_hash: b for b in ballots}
    tags = {t: b for b in ballots if (t := _spent_tag(b.token))}
    ballot_rows: dict[str, CastBallot] = {}
    for section, bid in obs.sections.links.get("ballot", {}).items():
        if section in any_section:
            ballot_rows[bid] = any_section[section]
    out: list[Linkage] = []
    for order in obs.orders:
        out += _order_linkages(obs.label, order, "receipt", obs.receipts, receipts, True)
        out += _order_linkages(obs.label, order, "section", obs.sections, designated, False)
        out += _order_linkages(obs.label, order, "opinion", obs.opinions, opinions, True)
        out += _order_linkages(obs.label, order, "spent card", obs.spent_cards, cards, True)
        out += _order_linkages(obs.label, order, "spent tag", obs.spent_tags, tags, True)
        out += _order_linkages(obs.label, order, "ballot row", obs.ballots, ballot_rows, True)
        out += _pair_linkages(obs.label, order, "receipt ↔ ballot content (opinion)", obs.receipts, receipts,
                              obs.opinions, opinions, True)
        out += _pair_linkages(obs.label, order, "receipt ↔ ballot content (section)", obs.receipts, receipts,
                              obs.sections, designated, False)
        out += _pair_linkages(obs.label, order, "opinion ↔ its section", obs.opinions, opinions, obs.sections,
                              designated, False)
        out += _pair_linkages(obs.label, order, "spent card ↔ ballot content", obs.spent_cards, cards,
                              obs.sections, designated, False)
        out += _pair_linkages(obs.label, order, "spent card ↔ receipt", obs.spent_cards, cards, obs.receipts,
                              receipts, True)
    for name, link, truth_a, truth_b in (("opinion ↔ its section (stored link)", "section", opinions, any_section),):
        named = obs.opinions.links.get(link, {})
        pairs = [(truth_a[o], truth_b.get(s)) for o, s in named.items() if o in truth_a]
        if pairs:
            correct = sum(1 for x, y in pairs if y is not None and x.rank == y.rank)
            out.append(Linkage(obs.label, "stored column", name, len(pairs), correct, None,
                               stats.fixed_points_p(len(pairs), correct)))
    if ballot_rows:  # a stored ballot id on sections groups them into whole ballots
        out.append(Linkage(obs.label, "stored column", "section ↔ its ballot (stored link)", len(ballot_rows),
                           len(ballot_rows), None, stats.fixed_points_p(len(ballot_rows), len(ballot_rows))))
    return out


def report(linkages: list[Linkage]) -> tuple[str, list[Linkage]]:
    """The table printed by the tests, and the linkages that beat chance at ALPHA / m."""
    threshold = stats.ALPHA / max(len(linkages), 1)
    failing = [x for x in linkages if x.p < threshold]
    lines = [f"{len(linkages)} linkages tried; each fails below p = {stats.ALPHA} / {len(linkages)} = {threshold:.2g}"]
    lines += [("FAIL " if x in failing else "     ") + x.line() for x in linkages]
    return "\n".join(lines), failing
