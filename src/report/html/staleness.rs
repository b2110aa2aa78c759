//! The report's staleness section: PBS in plain words, the run's t-visibility and
//! k-staleness figures, and the closed-form prediction beside them (quorum-store runs).

use std::fmt::Write;

use crate::check::staleness::StalenessFigures;
use crate::report::Outcome;
use crate::report::charts::svg::esc;

fn pct(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// The plain-language explanation and the figures, for a run with reads.
pub fn section(h: &mut String, o: &Outcome) {
    let Some(f) = &o.staleness else { return };
    h.push_str("<section id=\"staleness\">\n<h2>How stale were the reads?</h2>\n");
    h.push_str(
        "<p class=\"explain\">Every value a client writes is unique, so the value a read returns says which write \
         it saw. A read is <b>stale</b> when it returned a version older than one that had already been \
         acknowledged before the read began (older in real time: acknowledged before the newer write was even \
         sent; two overlapping writes are not ordered, so a read returning either is not called stale). Two \
         measures, from <i>Probabilistically Bounded Staleness</i> (Bailis et al., VLDB 2012; CACM 2014): \
         <b>t-visibility</b>, the chance that a read beginning <i>t</i> after a write was acknowledged returns \
         that write or a newer one, and <b>k-staleness</b>, how many acknowledged versions behind a read was. \
         A linearizable store (Raft, Multi-Paxos) is fresh at every <i>t</i> and every read has <i>k</i> = 0.</p>\n",
    );
    let _ = write!(
        h,
        "<table>\n<tr><th>reads</th><td>{} ok reads; {} measured, {} with no acknowledged write of their key before \
         them, {} whose value fits no single write (not guessed)</td></tr>\n\
         <tr><th>stale reads</th><td>{} of {} measured ({}); mean k {}, most {}</td></tr>\n",
        f.reads,
        f.measured,
        f.without_prior_write,
        f.unattributed,
        f.stale_reads,
        f.measured,
        pct(f.stale_share()),
        f.k_mean.map_or("–".to_string(), |m| format!("{m:.3}")),
        f.k_max
    );
    let curve: Vec<String> = f
        .t_visibility
        .iter()
        .filter(|p| p.samples > 0)
        .map(|p| {
            let range = match p.to_ms {
                Some(to) => format!("{}–{} ms", p.from_ms, to),
                None => format!("≥ {} ms", p.from_ms),
            };
            format!("{range}: {}", pct(p.p_fresh))
        })
        .collect();
    let _ = writeln!(
        h,
        "<tr><th>t-visibility</th><td>{}</td></tr>\n</table>",
        if curve.is_empty() { "no samples".to_string() } else { esc(&curve.join(" · ")) }
    );
    if let Some(m) = &f.model {
        model(h, f, m);
    }
    h.push_str("</section>\n");
}

fn model(h: &mut String, f: &StalenessFigures, m: &crate::check::staleness::PbsModel) {
    let _ = write!(
        h,
        "<h3>The closed form beside the measurement</h3>\n<p class=\"explain\">PBS's simplest model: a write is \
         acknowledged by W = {w} of the N = {n} replicas of its key and reaches no others; a read asks R = {r} \
         replicas chosen at random. It misses a given write when all R replicas it asks are among the N − W that \
         lack it: p = C(N−W, R) / C(N, R) = {p:.4}, and it misses the last k writes with probability p<sup>k</sup>. \
         {strict}This store should do better than the model, and better the longer after the write one looks: its \
         coordinator sends every write to all N replicas (it only <i>waits</i> for W), read repair copies the newest \
         version to the replicas a read found behind, and hinted handoff delivers what a down replica missed. Its \
         quorums keep expanding after the acknowledgement, so t-visibility climbs with t where the model stays flat \
         at 1 − p = {fresh:.1}%.{sloppy}</p>\n<table>\n<tr><th>missed at least</th><th>closed form p<sup>k</sup></th>\
         <th>measured</th></tr>\n",
        n = m.n,
        r = m.r,
        w = m.w,
        p = m.p_miss,
        fresh = (1.0 - m.p_miss) * 100.0,
        strict = if m.r + m.w > m.n {
            "Here R + W > N: every read quorum meets every write quorum, so p = 0 and no read should be stale \
             (without sloppy quorums). "
        } else {
            ""
        },
        sloppy = if m.sloppy {
            " This run used sloppy quorums: a write may be acknowledged by stand-ins outside the key's N replicas, \
             which the model does not describe."
        } else {
            ""
        },
    );
    for k in &m.by_k {
        let _ = writeln!(
            h,
            "<tr><td>the last {} write{}</td><td>{:.2}%</td><td>{}</td></tr>",
            k.k,
            if k.k == 1 { "" } else { "s" },
            k.predicted * 100.0,
            pct(k.measured)
        );
    }
    let first = f.t_visibility.first().and_then(|p| p.p_fresh);
    let _ = writeln!(
        h,
        "</table>\n<p class=\"explain\">Fresh within 1 ms of the acknowledgement: measured {}, closed form {:.1}%.</p>",
        pct(first),
        (1.0 - m.p_miss) * 100.0
    );
}
