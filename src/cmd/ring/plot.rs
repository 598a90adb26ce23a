//! `--plot FILE.svg`: the report as charts, drawn with plotters' SVG
//! backend. Panels, top to bottom: load per node per strategy (as % of the
//! mean, after the change when there is one), the fraction of keys each
//! strategy moved next to the optimum, and — with `--compare-search` — ns
//! per lookup against ring size for each search layout (log-log).

use std::path::Path;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::RingReport;
use crate::ring::search::Layout;

const WIDTH: u32 = 1100;
const PANEL_HEIGHT: u32 = 420;

pub fn write(path: &Path, report: &RingReport) -> anyhow::Result<()> {
    let panels = 2 + usize::from(report.compare_search.is_some());
    let root = SVGBackend::new(path, (WIDTH, PANEL_HEIGHT * panels as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let areas = root.split_evenly((panels, 1));
    load_panel(&areas[0], report).map_err(|e| anyhow!("{e}"))?;
    moved_panel(&areas[1], report).map_err(|e| anyhow!("{e}"))?;
    if let Some(area) = areas.get(2) {
        search_panel(area, report).map_err(|e| anyhow!("{e}"))?;
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;
/// Named lines of points.
type Series<'n, X, Y> = Vec<(&'n str, Vec<(X, Y)>)>;

fn color(i: usize) -> PaletteColor<Palette99> {
    Palette99::pick(i)
}

fn load_panel(area: &Area, report: &RingReport) -> Drawn {
    let series: Vec<(&str, Vec<(f64, f64)>)> = report
        .strategies
        .iter()
        .map(|s| {
            let nodes = s.after.as_ref().map_or(&s.per_node, |a| &a.per_node);
            let mean = nodes.iter().map(|n| n.keys as f64).sum::<f64>() / nodes.len().max(1) as f64;
            let points = nodes
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        i as f64,
                        if mean > 0.0 {
                            100.0 * n.keys as f64 / mean
                        } else {
                            0.0
                        },
                    )
                })
                .collect();
            (s.name, points)
        })
        .collect();
    let count = series.iter().map(|s| s.1.len()).max().unwrap_or(1).max(2);
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold((100.0f64, 100.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let pad = ((hi - lo) * 0.08).max(1.0);
    let after = report.strategies.iter().any(|s| s.after.is_some());
    let caption = format!(
        "Keys per node, % of mean ({} nodes{})",
        report.change.nodes_after,
        if after { ", after the change" } else { "" }
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(count as f64 - 0.5), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}%"))
        .x_desc("node (in membership order; lines of equal loads overlap)")
        .y_desc("keys, % of mean")
        .draw()?;
    lines(&mut chart, series, 2, SeriesLabelPosition::UpperRight)
}

/// One colored line per series with its points marked, and a legend.
fn lines<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    series: Series<X::ValueType, Y::ValueType>,
    point_size: u32,
    legend_at: SeriesLabelPosition,
) -> Drawn
where
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    for (i, (name, points)) in series.into_iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)).point_size(point_size))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend_at)
        .draw()?;
    Ok(())
}

fn moved_panel(area: &Area, report: &RingReport) -> Drawn {
    let rows: Vec<(&str, f64)> = report
        .strategies
        .iter()
        .map(|s| (s.name, 100.0 * s.moved_fraction.unwrap_or(0.0)))
        .collect();
    let optimum = report
        .strategies
        .first()
        .and_then(|s| s.optimal_moved_fraction)
        .map(|f| 100.0 * f);
    let top = rows
        .iter()
        .map(|r| r.1)
        .chain(optimum)
        .fold(1.0f64, f64::max)
        * 1.12;
    let caption = match optimum {
        Some(opt) => format!("Keys moved by the change, % (optimum {opt:.2}%, red line)"),
        None => "Keys moved: no membership change was simulated".to_owned(),
    };
    let k = rows.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((0..k - 1).into_segmented(), 0f64..top)?;
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(k)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).copied().unwrap_or("").to_owned(),
            _ => String::new(),
        })
        .y_label_formatter(&|y| format!("{y:.0}%"))
        .y_desc("keys moved")
        .draw()?;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), r.1),
            ],
            color(i).filled(),
        );
        bar.set_margin(0, 0, 14, 14);
        bar
    }))?;
    let label =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        Text::new(
            format!("{:.2}%", r.1),
            (SegmentValue::CenterOf(i), r.1 + top * 0.01),
            label.clone(),
        )
    }))?;
    if let Some(opt) = optimum {
        chart.draw_series(LineSeries::new(
            vec![(SegmentValue::Exact(0), opt), (SegmentValue::Last, opt)],
            RED.stroke_width(2),
        ))?;
    }
    Ok(())
}

fn search_panel(area: &Area, report: &RingReport) -> Drawn {
    let Some(search) = &report.compare_search else {
        return Ok(());
    };
    let (first, last) = match (search.rows.first(), search.rows.last()) {
        (Some(f), Some(l)) => (f.points as f64, l.points as f64),
        _ => return Ok(()),
    };
    let all = search
        .rows
        .iter()
        .flat_map(|r| Layout::ALL.iter().map(move |&l| r.ns(l)))
        .filter(|ns| *ns > 0.0);
    let (lo, hi) = all.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi > 0.0 {
        (lo * 0.7, hi * 1.4)
    } else {
        (0.1, 10.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Successor search on this machine: ns per lookup vs ring points (log-log)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((first..last).log_scale(), (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_desc("points on the ring")
        .y_desc("ns per lookup")
        .draw()?;
    let series = Layout::ALL
        .into_iter()
        .map(|layout| {
            let points = search
                .rows
                .iter()
                .map(|r| (r.points as f64, r.ns(layout).max(lo)))
                .collect();
            (layout.name(), points)
        })
        .collect();
    lines(&mut chart, series, 3, SeriesLabelPosition::UpperLeft)
}
