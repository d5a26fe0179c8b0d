/**
 * Truth under noise: every scenario runs its servers in interleaved rounds, the order turned by one
 * each round, and compares Boutique with each peer *within* a round. The other engineers' work on
 * this machine comes and goes in minutes; a ratio of two servers measured seconds apart, one after
 * the other, cancels most of it, and a ratio of medians taken over different minutes does not. The
 * reported figure is the median of the per-round ratios, with every round's ratio beside it — never
 * the best round.
 */

/**
 * The servers' order in round `round` (from 1): turned by one each round; after as many rounds as
 * there are servers, the reversed order, turned the same way. Over twice as many rounds as servers
 * every server then runs right after every other one equally often (a Williams design), so what
 * one server leaves behind (a load's heat, sockets closing) weighs on each of the others alike.
 */
export const turned = (order, round) => {
  const n = order.length;
  const base = Math.floor((round - 1) / n) % 2 === 0 ? order : [...order].reverse();
  const k = (round - 1) % n;
  return [...base.slice(k), ...base.slice(0, k)];
};

export const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/**
 * Runs `rounds` rounds of `names` in turned order. `measure(name, round)` returns a result, or null
 * when that server is not measured this round (it gave up in an earlier one). Returns each round's
 * order and each server's results, one entry per round (null where skipped).
 */
export async function interleave(names, rounds, measure) {
  const order = [];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 1; round <= rounds; round++) {
    const o = turned(names, round);
    order.push(o);
    const got = {};
    for (const name of o) got[name] = await measure(name, round);
    for (const name of names) runs[name].push(got[name] ?? null);
  }
  return { order, runs };
}

/**
 * `a ÷ b` of `metric` in every round where both were measured, and their median. `metric` is a
 * function of one round's result (null when it has no value).
 */
export function perRound(runs, a, b, metricName, metric) {
  const rounds = runs[a].map((ra, i) => {
    const rb = runs[b]?.[i];
    const x = ra == null ? null : metric(ra);
    const y = rb == null ? null : metric(rb);
    return x == null || y == null || y === 0 ? null : x / y;
  });
  return { a, b, metric: metricName, rounds, median: median(rounds) };
}

/** Each server's per-round figures of `fields`, and their medians. */
export function summarize(runs, fields) {
  return Object.fromEntries(Object.entries(runs).map(([name, rs]) => {
    const med = {};
    for (const [field, pick] of Object.entries(fields)) med[field] = median(rs.map((r) => (r == null ? null : pick(r))));
    return [name, { rounds: rs, median: med }];
  }));
}
