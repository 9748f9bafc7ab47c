//! The `trace --plot` picture: B and load factor against the write number, evacuation windows shaded.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::{DrawResult, Figure, font};
use crate::units::thousands;

/// The map's shape after one write.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelinePoint {
    /// Write number (1-based).
    pub write: u64,
    /// Go's B after the write.
    pub log2_buckets: u8,
    /// Entries per bucket of the current array after the write.
    pub load_factor: f64,
}

/// One evacuation, from the write that started it to the write that finished it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// First write of the growth.
    pub start: u64,
    /// Last write of the growth (the run's last write if it never finished).
    pub end: u64,
    /// True for a same-size growth (drawn in another colour than doublings).
    pub same_size: bool,
}

/// B (steps, left axis) and load factor or overflow buckets (right axis) over the writes, with each evacuation
/// shaded.
#[derive(Clone, Debug)]
pub struct TimelineFigure {
    /// Headline.
    pub title: String,
    /// Writes in the run.
    pub writes: u64,
    /// Samples of the map's shape, in write order (every change of B must be present).
    pub points: Vec<TimelinePoint>,
    /// Samples of overflow buckets per primary bucket, `(write, ratio)`. When present they replace the load
    /// factor on the right axis (under churn the load factor sits still and the overflow count is what moves).
    pub overflow: Vec<(u64, f64)>,
    /// Evacuation windows.
    pub windows: Vec<Window>,
    /// Log-scaled write axis (growing from empty: doublings spread evenly).
    pub log_x: bool,
}

const DOUBLING_SHADE: RGBColor = RGBColor(198, 219, 239);
const SAME_SIZE_SHADE: RGBColor = RGBColor(253, 208, 162);
const B_COLOUR: RGBColor = RGBColor(0, 114, 178);
const RIGHT_COLOUR: RGBColor = RGBColor(213, 94, 0);

impl Figure for TimelineFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 650)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let end = self.writes.max(2) as f64;
        // Evacuations are drawn at least 1/300 of the axis wide, so short ones stay visible.
        if self.log_x {
            let widen = |w: &Window| {
                (
                    (w.start as f64).max(1.0),
                    ((w.end + 1) as f64).max(w.start as f64 * 1.02),
                )
            };
            self.draw_with(root, (1f64..end).log_scale(), widen)
        } else {
            let widen = |w: &Window| {
                (
                    w.start as f64,
                    ((w.end + 1) as f64).max(w.start as f64 + end / 300.0),
                )
            };
            self.draw_with(root, 0f64..end, widen)
        }
    }
}

impl TimelineFigure {
    fn draw_with<DB, X>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: X,
        widen: impl Fn(&Window) -> (f64, f64),
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64> + Clone,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let max_b = self
            .points
            .iter()
            .map(|p| p.log2_buckets)
            .max()
            .unwrap_or(0);
        let b_top = f64::from(max_b) + 1.0;
        let by_overflow = !self.overflow.is_empty();
        // B = 0 holds up to 8 entries; overflow triggers a same-size growth at 1 per bucket.
        let right_top = if by_overflow { 1.5 } else { 9.0 };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .right_y_label_area_size(70)
            .build_cartesian_2d(x.clone(), 0f64..b_top)?
            .set_secondary_coord(x, 0f64..right_top);
        chart
            .configure_mesh()
            .x_desc(if self.log_x {
                "write number (log scale)"
            } else {
                "write number"
            })
            .y_desc("B (log2 of buckets)")
            .x_label_formatter(&|x| thousands(*x as u64))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(font(14))
            .axis_desc_style(font(16))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc(if by_overflow {
                "overflow buckets / buckets"
            } else {
                "load factor (entries / bucket)"
            })
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()?;

        chart.draw_series(self.windows.iter().map(|w| {
            let shade = if w.same_size {
                SAME_SIZE_SHADE
            } else {
                DOUBLING_SHADE
            };
            let (from, to) = widen(w);
            Rectangle::new([(from, 0.0), (to, b_top)], shade.filled())
        }))?;
        for (same_size, label) in [
            (false, "doubling evacuation"),
            (true, "same-size evacuation"),
        ] {
            if self.windows.iter().any(|w| w.same_size == same_size) {
                let shade = if same_size {
                    SAME_SIZE_SHADE
                } else {
                    DOUBLING_SHADE
                };
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                    .label(label)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 18, y + 6)], shade.filled())
                    });
            }
        }

        let first = if self.log_x { 1.0 } else { 0.0 };
        let mut steps = Vec::with_capacity(self.points.len() * 2);
        for (i, p) in self.points.iter().enumerate() {
            if let Some(prev) = i.checked_sub(1).map(|j| self.points[j]) {
                steps.push((p.write as f64, f64::from(prev.log2_buckets)));
            }
            steps.push(((p.write as f64).max(first), f64::from(p.log2_buckets)));
        }
        chart
            .draw_series(LineSeries::new(steps, B_COLOUR.stroke_width(2)))?
            .label("B")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], B_COLOUR.stroke_width(3)));

        let (right, label, threshold, threshold_label): (Vec<(f64, f64)>, _, _, _) = if by_overflow
        {
            let series = self
                .overflow
                .iter()
                .map(|&(w, r)| ((w as f64).max(first), r))
                .collect();
            (
                series,
                "overflow buckets / buckets",
                1.0,
                "1: same-size growth threshold",
            )
        } else {
            let series = self
                .points
                .iter()
                .map(|p| ((p.write as f64).max(first), p.load_factor))
                .collect();
            (series, "load factor", 6.5, "6.5: doubling threshold")
        };
        chart
            // 1 px: plotters' wide-line polygons overshoot at a sawtooth's sharp corners.
            .draw_secondary_series(LineSeries::new(right, RIGHT_COLOUR.stroke_width(1)))?
            .label(label)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RIGHT_COLOUR.stroke_width(3)));
        chart
            .draw_secondary_series(DashedLineSeries::new(
                [(first, threshold), (self.writes.max(2) as f64, threshold)],
                6,
                4,
                BLACK.mix(0.5).stroke_width(1),
            ))?
            .label(threshold_label)
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5).stroke_width(1))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}
