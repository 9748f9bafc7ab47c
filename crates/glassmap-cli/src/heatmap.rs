//! The bucket heat map: one cell per bucket (or per fixed group of buckets for large tables), coloured by
//! entries, and its terminal rendering with Unicode half-blocks in 24-bit colour.

use std::io::{self, Write};

/// At most this many cells in a picture (128 x 128); larger tables put several buckets in one cell.
pub const PICTURE_CELLS: usize = 1 << 14;

/// At most this many cells in the terminal (64 columns x 32 lines, two cells per character).
pub const TERMINAL_CELLS: usize = 1 << 12;

/// One cell of the heat map: a run of consecutive buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cell {
    /// Mean entries per bucket chain in this cell.
    pub mean_entries: f64,
    /// Entries in the fullest bucket chain of the cell.
    pub max_entries: usize,
    /// Buckets in the cell whose chain has at least one overflow bucket.
    pub overflowing: usize,
}

/// Buckets laid out row by row in a near-square grid of cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Cells per row.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// Consecutive buckets aggregated into one cell (1 = one cell per bucket).
    pub buckets_per_cell: usize,
    /// Buckets in the table.
    pub buckets: usize,
    /// `rows * cols` cells, row-major; trailing cells past the last bucket are empty.
    pub cells: Vec<Cell>,
}

impl Grid {
    /// Lays out `loads` (per bucket: entries in the chain, chain length in buckets) in at most `max_cells` cells.
    pub fn new(loads: &[(usize, usize)], max_cells: usize) -> Self {
        let buckets = loads.len();
        let buckets_per_cell = buckets.div_ceil(max_cells.max(1)).max(1);
        let cells: Vec<Cell> = loads
            .chunks(buckets_per_cell)
            .map(|group| Cell {
                mean_entries: group.iter().map(|&(e, _)| e).sum::<usize>() as f64
                    / group.len() as f64,
                max_entries: group.iter().map(|&(e, _)| e).max().unwrap_or(0),
                overflowing: group.iter().filter(|&&(_, chain)| chain > 1).count(),
            })
            .collect();
        // Power-of-two tables give 2^k cells: 2^ceil(k/2) columns, so the grid is square or twice as wide.
        let n = cells.len().max(1);
        let cols = if n.is_power_of_two() {
            1 << n.trailing_zeros().div_ceil(2)
        } else {
            (n as f64).sqrt().ceil() as usize
        };
        let rows = n.div_ceil(cols);
        let mut cells = cells;
        cells.resize(rows * cols, Cell::default());
        Grid {
            cols,
            rows,
            buckets_per_cell,
            buckets,
            cells,
        }
    }

    /// The cell at `row`, `col`.
    pub fn cell(&self, row: usize, col: usize) -> Cell {
        self.cells[row * self.cols + col]
    }
}

/// The colour for a mean load: dark for empty, the viridis ramp from 0 to 8 entries (one full bucket), then orange
/// to red to magenta on a log scale for chains with overflow buckets (9 to 256+ entries).
pub fn colour(entries: f64) -> (u8, u8, u8) {
    const VIRIDIS: [(f64, (u8, u8, u8)); 5] = [
        (0.0, (68, 1, 84)),
        (2.0, (59, 82, 139)),
        (4.0, (33, 145, 140)),
        (6.0, (94, 201, 98)),
        (8.0, (253, 231, 37)),
    ];
    const HOT: [(f64, (u8, u8, u8)); 3] = [
        (0.0, (253, 141, 60)),
        (2.0, (215, 25, 28)),
        (5.0, (255, 0, 255)),
    ];
    if entries <= 0.0 {
        (16, 16, 24)
    } else if entries <= 8.0 {
        ramp(&VIRIDIS, entries)
    } else {
        // log2(entries / 9): 9 -> 0, 36 -> 2, 288 -> 5.
        ramp(&HOT, (entries / 9.0).log2())
    }
}

/// Piecewise-linear interpolation between colour stops, clamped at both ends.
fn ramp(stops: &[(f64, (u8, u8, u8))], x: f64) -> (u8, u8, u8) {
    let last = stops[stops.len() - 1];
    if x >= last.0 {
        return last.1;
    }
    for pair in stops.windows(2) {
        let ((x0, c0), (x1, c1)) = (pair[0], pair[1]);
        if x <= x1 {
            let t = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
            let mix =
                |a: u8, b: u8| (f64::from(a) + t * (f64::from(b) - f64::from(a))).round() as u8;
            return (mix(c0.0, c1.0), mix(c0.1, c1.1), mix(c0.2, c1.2));
        }
    }
    last.1
}

/// Loads shown in the colour legends.
pub const LEGEND: [f64; 9] = [0.0, 2.0, 4.0, 6.0, 8.0, 9.0, 16.0, 36.0, 288.0];

/// Writes `grid` to a 24-bit colour terminal: each character is two cells, upper half `▀` in the foreground
/// colour, lower half in the background colour. Followed by a one-line legend.
pub fn write_terminal(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let fg = |(r, g, b): (u8, u8, u8)| format!("\x1b[38;2;{r};{g};{b}m");
    let bg = |(r, g, b): (u8, u8, u8)| format!("\x1b[48;2;{r};{g};{b}m");
    for row in (0..grid.rows).step_by(2) {
        let mut line = String::from("  ");
        // Escape codes only where the colour changes: runs of equal cells cost one byte per cell.
        let (mut last_top, mut last_bottom) = (None, None);
        for col in 0..grid.cols {
            let top = colour(grid.cell(row, col).mean_entries);
            let bottom =
                (row + 1 < grid.rows).then(|| colour(grid.cell(row + 1, col).mean_entries));
            if last_top != Some(top) {
                line.push_str(&fg(top));
                last_top = Some(top);
            }
            if last_bottom != Some(bottom) {
                line.push_str(&bottom.map_or_else(|| "\x1b[49m".to_owned(), bg));
                last_bottom = Some(bottom);
            }
            line.push('▀');
        }
        writeln!(out, "{line}\x1b[0m")?;
    }
    let mut legend = String::from("  entries per bucket:");
    for &load in &LEGEND {
        legend.push_str(&format!(" {}██\x1b[0m {}", fg(colour(load)), load));
    }
    writeln!(out, "{legend}  (9+ = overflow chain)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tables_get_one_cell_per_bucket() {
        let loads: Vec<_> = (0..8).map(|i| (i, 1)).collect();
        let g = Grid::new(&loads, PICTURE_CELLS);
        assert_eq!((g.cols, g.rows, g.buckets_per_cell), (4, 2, 1));
        assert_eq!(g.cell(1, 3).mean_entries, 7.0);
    }

    #[test]
    fn large_tables_are_aggregated_into_a_fixed_grid() {
        let loads: Vec<_> = (0..1 << 16)
            .map(|i| (i % 4, if i % 4 == 3 { 2 } else { 1 }))
            .collect();
        let g = Grid::new(&loads, TERMINAL_CELLS);
        assert_eq!((g.cols, g.rows, g.buckets_per_cell), (64, 64, 16));
        assert_eq!(g.cells.len(), TERMINAL_CELLS);
        assert_eq!(
            g.cell(0, 0),
            Cell {
                mean_entries: 1.5,
                max_entries: 3,
                overflowing: 4
            }
        );
    }

    #[test]
    fn colours_run_from_dark_through_yellow_to_magenta() {
        assert_eq!(colour(0.0), (16, 16, 24));
        assert_eq!(colour(8.0), (253, 231, 37));
        assert_eq!(colour(9.0), (253, 141, 60));
        assert_eq!(colour(10_000.0), (255, 0, 255));
        assert_eq!(
            colour(3.0),
            ramp(&[(2.0, (59, 82, 139)), (4.0, (33, 145, 140))], 3.0)
        );
    }

    #[test]
    fn terminal_rows_pair_up() {
        let loads: Vec<_> = (0..32).map(|i| (i % 9, 1)).collect();
        let g = Grid::new(&loads, TERMINAL_CELLS);
        let mut out = Vec::new();
        write_terminal(&g, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), g.rows.div_ceil(2) + 1);
        assert_eq!(text.lines().next().unwrap().matches('▀').count(), g.cols);
    }
}
