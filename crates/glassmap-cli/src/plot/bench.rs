//! The two `bench` pictures: per-insert latency while growing, and throughput bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, font, series_colour};
use crate::units::{duration_ns, thousands};

/// One map's per-insert latency over the insert index, downsampled to the maximum of each window.
#[derive(Clone, Debug)]
pub struct LatencySeries {
    /// Map name.
    pub map: String,
    /// Inserts per window.
    pub window: usize,
    /// Slowest insert of each window, in nanoseconds.
    pub window_max_ns: Vec<u64>,
}

/// Per-insert latency (window maxima, log scale) against the insert index: one panel per map, all on the same
/// axes, so each map's profile reads on its own and heights compare across panels.
///
/// Spikes are whole-table rehashes (hashbrown, std) or other one-off costs (allocating or freeing an array, the
/// OS taking the core away); a map that grows incrementally shows a band without tall spikes.
#[derive(Clone, Debug)]
pub struct LatencyFigure {
    /// Headline.
    pub title: String,
    /// Operations in the run (per thread, for a concurrent run): the x axis.
    pub n: usize,
    /// What the x axis counts (`insert number`, `operation number (per thread)`).
    pub x_desc: String,
    /// What the y axis shows (`slowest insert`, `slowest operation`).
    pub y_desc: String,
    /// One series per map, top to bottom.
    pub series: Vec<LatencySeries>,
}

const PANEL_HEIGHT: u32 = 230;

impl Figure for LatencyFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 60 + PANEL_HEIGHT * self.series.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let all = || {
            self.series
                .iter()
                .flat_map(|s| s.window_max_ns.iter().copied())
        };
        let max = all().max().unwrap_or(1).max(1);
        let min = all().min().unwrap_or(1).max(1);
        let y_range = (min as f64 / 2.0).max(1.0)..(max as f64 * 3.0);
        let root = root.titled(&self.title, font(22))?;
        let panels = root.split_evenly((self.series.len().max(1), 1));
        for (i, (panel, s)) in panels.iter().zip(&self.series).enumerate() {
            let colour = series_colour(i);
            let peak = s.window_max_ns.iter().copied().max().unwrap_or(0) as f64;
            let last = i + 1 == self.series.len();
            let mut chart = ChartBuilder::on(panel)
                .margin_left(16)
                .margin_right(24)
                .margin_top(8)
                .x_label_area_size(if last { 50 } else { 24 })
                .y_label_area_size(90)
                .build_cartesian_2d(0f64..self.n as f64, y_range.clone().log_scale())?;
            let mut mesh = chart.configure_mesh();
            mesh.y_desc(self.y_desc.as_str())
                .x_label_formatter(&|x| thousands(*x as u64))
                .y_label_formatter(&|y| duration_ns(*y))
                .y_labels(6)
                .label_style(font(13))
                .axis_desc_style(font(14))
                .light_line_style(RGBColor(238, 238, 238));
            if last {
                mesh.x_desc(self.x_desc.as_str());
            }
            mesh.draw()?;
            let half = s.window as f64 / 2.0;
            let points = s
                .window_max_ns
                .iter()
                .enumerate()
                .map(|(w, &ns)| (w as f64 * s.window as f64 + half, ns.max(1) as f64));
            // 1 px: plotters' wide-line polygons overshoot at the sharp corners of one-window spikes.
            chart.draw_series(LineSeries::new(points, colour.stroke_width(1)))?;
            let (x, y) = chart.backend_coord(&(0.0, y_range.end));
            let label = format!("{} ({} {})", s.map, self.y_desc, duration_ns(peak));
            let base = panel.get_base_pixel();
            panel.draw(&Text::new(
                label,
                (x - base.0 + 12, y - base.1 + 8),
                font(17).color(&colour),
            ))?;
        }
        Ok(())
    }
}

/// One bar: a map's speed on one workload in one panel (a size, or a mix).
#[derive(Clone, Debug)]
pub struct ThroughputBar {
    /// Caption of the panel the bar is drawn in (`n = 1,000`, `read-heavy`).
    pub panel: String,
    /// Label of the group of bars along x (a workload, a thread count).
    pub group: String,
    /// Map name.
    pub map: String,
    /// Median nanoseconds per operation.
    pub ns_per_op: f64,
}

/// Millions of operations per second, one panel per size (or mix), groups (workloads, thread counts) along x,
/// one bar per map.
#[derive(Clone, Debug)]
pub struct ThroughputFigure {
    /// Headline.
    pub title: String,
    /// The bars, in any order; panels, groups and colours follow first appearance.
    pub bars: Vec<ThroughputBar>,
}

impl ThroughputFigure {
    fn distinct<T: PartialEq + Clone>(&self, key: impl Fn(&ThroughputBar) -> T) -> Vec<T> {
        let mut seen = Vec::new();
        for bar in &self.bars {
            let k = key(bar);
            if !seen.contains(&k) {
                seen.push(k);
            }
        }
        seen
    }
}

impl Figure for ThroughputFigure {
    fn size(&self) -> (u32, u32) {
        let panels = self.distinct(|b| b.panel.clone()).len().max(1) as u32;
        (1200, 80 + 420 * panels)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let panels = self.distinct(|b| b.panel.clone());
        let maps = self.distinct(|b| b.map.clone());
        let root = root.titled(&self.title, font(22))?;
        for (area, caption) in root
            .split_evenly((panels.len().max(1), 1))
            .iter()
            .zip(&panels)
        {
            let panel = area;
            let groups: Vec<String> = self
                .distinct(|b| b.group.clone())
                .into_iter()
                .filter(|g| self.find(caption, g, None).is_some())
                .collect();
            let rates = || {
                self.bars
                    .iter()
                    .filter(|b| &b.panel == caption)
                    .map(|b| 1e3 / b.ns_per_op)
            };
            let top = rates().fold(0.0, f64::max);
            let bottom = rates().fold(f64::INFINITY, f64::min);
            // Log scale: iteration runs ten times faster than inserts and would flatten them on a linear axis.
            let y_range = (bottom / 3.0)..(top * 6.0);
            // Each group takes maps + 1 slots: one per bar and a gap.
            let slots = groups.len() * (maps.len() + 1);
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(80)
                .build_cartesian_2d(0f64..slots as f64, y_range.clone().log_scale())?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(0)
                .y_desc("million ops / s, log scale (higher is better)")
                .y_label_formatter(&|y| compact(*y))
                .label_style(font(14))
                .axis_desc_style(font(14))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for (g, group) in groups.iter().enumerate() {
                let start = (g * (maps.len() + 1)) as f64 + 0.5;
                for (m, map) in maps.iter().enumerate() {
                    if let Some(bar) = self.find(caption, group, Some(map)) {
                        let x = start + m as f64;
                        let rect = Rectangle::new(
                            [(x, y_range.start), (x + 1.0, 1e3 / bar.ns_per_op)],
                            series_colour(m).filled(),
                        );
                        chart.draw_series(std::iter::once(rect))?;
                    }
                }
                let centre = start + maps.len() as f64 / 2.0;
                let (px, py) = chart.backend_coord(&(centre, y_range.start));
                let style = font(14).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                ));
                panel.draw(&Text::new(
                    group.clone(),
                    (
                        px - panel.get_base_pixel().0,
                        py - panel.get_base_pixel().1 + 8,
                    ),
                    style,
                ))?;
            }
            for (m, map) in maps.iter().enumerate() {
                let colour = series_colour(m);
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                    .label(map.clone())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(font(14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        Ok(())
    }
}

impl ThroughputFigure {
    fn find(&self, panel: &str, group: &str, map: Option<&str>) -> Option<&ThroughputBar> {
        self.bars
            .iter()
            .find(|b| b.panel == panel && b.group == group && map.is_none_or(|m| b.map == m))
    }
}

/// A rate label with two or three significant digits: `0.35`, `4.2`, `120`.
fn compact(y: f64) -> String {
    if y >= 10.0 {
        format!("{y:.0}")
    } else if y >= 1.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
}
