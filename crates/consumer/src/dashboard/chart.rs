//! The dashboard's chart: events per second by type over the last five minutes, as an inline
//! SVG, one line per type, from the board's samples averaged over 5-second steps.

use std::{collections::BTreeMap, fmt::Write, time::Duration};

use super::{Board, Sample, HISTORY};

/// The drawing's size, in SVG units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
/// Room left for the axis labels.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 20.0;
/// One point of a line per this many seconds.
const STEP: Duration = Duration::from_secs(5);

/// The colours of the event types, in the order of their names.
pub const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
];

/// The colour of the `index`th type.
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// The chart of `board`'s history, one line for each of `types`.
pub fn render(board: &Board, types: &[String]) -> String {
    let points = rate_points(board);
    let top = nice_ceiling(
        points
            .iter()
            .flat_map(|(_, rates)| rates.values())
            .fold(0.0, |max: f64, rate| max.max(*rate)),
    );
    let mut svg = format!(
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="events per second by type, last 5 minutes">"#
    );
    axes(&mut svg, top);
    for (index, kind) in types.iter().enumerate() {
        let line: Vec<String> = points
            .iter()
            .map(|(age, rates)| {
                let rate = rates.get(kind).copied().unwrap_or(0.0);
                format!("{:.1},{:.1}", x_of(*age), y_of(rate, top))
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            colour(index),
            line.join(" ")
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The grid, the rate scale and the time axis.
fn axes(svg: &mut String, top: f64) {
    for fraction in [0.0, 0.5, 1.0] {
        let y = y_of(top * fraction, top);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"##,
            LEFT - 4.0,
            y + 4.0,
            top * fraction
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="{HEIGHT}" font-size="11">−5 min</text><text x="{WIDTH}" y="{HEIGHT}" font-size="11" text-anchor="end">now</text>"#
    );
}

/// For each step back from the last sample: its age and the rate of each type over the step.
fn rate_points(board: &Board) -> Vec<(Duration, BTreeMap<String, f64>)> {
    let Some(last) = board.history.back() else {
        return Vec::new();
    };
    let stepped: Vec<&Sample> = board
        .history
        .iter()
        .rev()
        .scan(None::<&Sample>, |kept, sample| {
            let due = kept.is_none_or(|kept| kept.at.duration_since(sample.at) >= STEP);
            if due {
                *kept = Some(sample);
            }
            Some(due.then_some(sample))
        })
        .flatten()
        .collect();
    stepped
        .windows(2)
        .map(|pair| {
            let (newer, older) = (pair[0], pair[1]);
            (last.at.duration_since(newer.at), newer.rates_since(older))
        })
        .collect()
}

/// The horizontal position of a point `age` old.
fn x_of(age: Duration) -> f64 {
    let fraction = 1.0 - age.as_secs_f64() / HISTORY.as_secs_f64();
    LEFT + (WIDTH - LEFT) * fraction.clamp(0.0, 1.0)
}

/// The vertical position of `rate` on a scale up to `top`.
fn y_of(rate: f64, top: f64) -> f64 {
    let plot = HEIGHT - BOTTOM - 10.0;
    HEIGHT - BOTTOM - plot * (rate / top).clamp(0.0, 1.0)
}

/// The smallest of 1, 2 or 5 times a power of ten at least `value` (1 at least): the scale's top.
fn nice_ceiling(value: f64) -> f64 {
    let mut scale = 1.0;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            if value <= factor * scale {
                return factor * scale;
            }
        }
        scale *= 10.0;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn the_scale_rounds_up_to_1_2_or_5() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(1.5), 2.0);
        assert_eq!(nice_ceiling(20.1), 50.0);
        assert_eq!(nice_ceiling(501.0), 1000.0);
    }

    #[test]
    fn one_point_per_step_with_the_rate_over_it() {
        let mut board = Board::default();
        let start = Instant::now();
        for second in 0..=10 {
            board.history.push_back(Sample {
                at: start + Duration::from_secs(second),
                total: second * 10,
                by_type: BTreeMap::from([("achat".to_string(), second * 10)]),
            });
        }
        let points = rate_points(&board);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].0, Duration::ZERO);
        assert_eq!(points[0].1["achat"], 10.0);
        let svg = render(&board, &["achat".to_string()]);
        assert!(svg.contains("<polyline"), "{svg}");
    }
}
