//! The `inspect` picture: the bucket heat map with its legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Figure, font};
use crate::heatmap::{Grid, LEGEND, colour};

/// One cell per bucket (or per fixed group of buckets), coloured by entries, with a black centre mark where a chain
/// (any chain of the group) has overflow buckets.
#[derive(Clone, Debug)]
pub struct HeatmapFigure {
    /// Headline.
    pub title: String,
    /// Second line (the verdict).
    pub subtitle: String,
    /// The buckets.
    pub grid: Grid,
}

/// Side of the square the grid is fitted into, in pixels.
const GRID_SIDE: i32 = 768;
const TOP: i32 = 96;
const LEFT: i32 = 24;

impl Figure for HeatmapFigure {
    fn size(&self) -> (u32, u32) {
        (1100, (TOP + GRID_SIDE + 40) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.draw(&Text::new(self.title.clone(), (LEFT, 16), font(22)))?;
        root.draw(&Text::new(self.subtitle.clone(), (LEFT, 52), font(16)))?;
        let grid = &self.grid;
        let cell = (GRID_SIDE / grid.cols.max(grid.rows) as i32).max(1);
        let gap = i32::from(cell >= 10);
        for row in 0..grid.rows {
            for col in 0..grid.cols {
                let c = grid.cell(row, col);
                let (x, y) = (LEFT + col as i32 * cell, TOP + row as i32 * cell);
                let (r, g, b) = colour(c.mean_entries);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell - gap, y + cell - gap)],
                    RGBColor(r, g, b).filled(),
                ))?;
                if c.overflowing > 0 {
                    overflow_mark(root, (x, y), cell - gap)?;
                }
            }
        }
        // Legend to the right of the grid.
        let lx = LEFT + GRID_SIDE + 40;
        root.draw(&Text::new("entries per bucket", (lx, TOP), font(16)))?;
        for (i, &load) in LEGEND.iter().enumerate() {
            let y = TOP + 30 + i as i32 * 30;
            let (r, g, b) = colour(load);
            root.draw(&Rectangle::new(
                [(lx, y), (lx + 24, y + 20)],
                RGBColor(r, g, b).filled(),
            ))?;
            let label = if load > 8.0 {
                format!("{load} (overflow)")
            } else {
                format!("{load}")
            };
            root.draw(&Text::new(label, (lx + 34, y + 2), font(15)))?;
        }
        let y = TOP + 40 + LEGEND.len() as i32 * 30;
        let (r, g, b) = colour(12.0);
        root.draw(&Rectangle::new(
            [(lx, y), (lx + 20, y + 20)],
            RGBColor(r, g, b).filled(),
        ))?;
        overflow_mark(root, (lx, y), 20)?;
        root.draw(&Text::new(
            "has overflow bucket",
            (lx + 34, y + 2),
            font(15),
        ))?;
        let per_cell = if grid.buckets_per_cell == 1 {
            "1 cell = 1 bucket".to_owned()
        } else {
            format!("1 cell = {} buckets (mean)", grid.buckets_per_cell)
        };
        root.draw(&Text::new(per_cell, (lx, y + 40), font(15)))?;
        root.draw(&Text::new("bucket 0 top left,", (lx, y + 64), font(15)))?;
        root.draw(&Text::new("row by row", (lx, y + 84), font(15)))?;
        Ok(())
    }
}

/// The overflow mark: a black square in the middle third of a cell of side `side` at `corner`.
fn overflow_mark<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    corner: (i32, i32),
    side: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mark = (side / 3).max(1);
    let x = corner.0 + (side - mark) / 2;
    let y = corner.1 + (side - mark) / 2;
    root.draw(&Rectangle::new(
        [(x, y), (x + mark - 1, y + mark - 1)],
        BLACK.filled(),
    ))?;
    Ok(())
}
