//! Go's `text/tabwriter`, as `oc describe` configures it: minwidth 0,
//! tabwidth 8, padding 1, padchar `'\t'`, no flags.
//!
//! Cells are tab-terminated; the text after a line's last tab is not part
//! of any column. Consecutive lines that have a cell in column `j` form a
//! block; the block's width for that column is its widest cell plus the
//! padding, rounded up to a multiple of the tab width, and cells are padded
//! with tabs. Widths count characters (runes), as Go does.

const TAB_WIDTH: usize = 8;
const PADDING: usize = 1;

/// Aligns `text` the way `oc describe`'s tabwriter does.
///
/// ```
/// use imagestream::describe::tabwrite;
///
/// let out = tabwrite("Unique Images:\t3\nTags:\t6\n");
/// assert_eq!(out, "Unique Images:\t3\nTags:\t\t6\n");
/// ```
#[must_use]
pub fn tabwrite(text: &str) -> String {
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    // A line without a tab ends every column block, so the text formats
    // segment by segment, each ending at such a line: the cell buffer stays
    // small (and in cache) however long the text is. Within a segment, all
    // cells live in one vector and each line is a range of it.
    let mut cells: Vec<&str> = Vec::new();
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut widths = Vec::new();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in body.split('\n') {
        let start = cells.len();
        cells.extend(line.split('\t'));
        lines.push((start, cells.len()));
        if cells.len() - start == 1 {
            Table {
                cells: &cells,
                lines: &lines,
            }
            .format(0, lines.len(), &mut widths, &mut out);
            cells.clear();
            lines.clear();
        }
    }
    Table {
        cells: &cells,
        lines: &lines,
    }
    .format(0, lines.len(), &mut widths, &mut out);
    // Every line was written with its newline; the last one only had one
    // if the input did.
    if !ends_with_newline {
        out.pop();
    }
    out
}

fn width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

struct Table<'a> {
    cells: &'a [&'a str],
    lines: &'a [(usize, usize)],
}

impl Table<'_> {
    fn line(&self, i: usize) -> &[&str] {
        let (a, b) = self.lines[i];
        &self.cells[a..b]
    }

    /// Go's `Writer.format`: lays out lines `start..end` given the widths
    /// of the columns to the left.
    fn format(&self, mut start: usize, end: usize, widths: &mut Vec<usize>, out: &mut String) {
        let column = widths.len();
        let mut this = start;
        while this < end {
            if column + 1 >= self.line(this).len() {
                this += 1;
                continue;
            }
            // A block of lines that have a cell in this column starts here.
            self.write_lines(start, this, widths, out);
            start = this;
            let mut block_width = 0;
            while this < end && column + 1 < self.line(this).len() {
                block_width = block_width.max(width(self.line(this)[column]) + PADDING);
                this += 1;
            }
            widths.push(block_width);
            self.format(start, this, widths, out);
            widths.pop();
            start = this;
        }
        self.write_lines(start, end, widths, out);
    }

    fn write_lines(&self, from: usize, to: usize, widths: &[usize], out: &mut String) {
        for i in from..to {
            let line = self.line(i);
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if j < widths.len() && j + 1 < line.len() {
                    let cell_width = widths[j].div_ceil(TAB_WIDTH) * TAB_WIDTH;
                    let n = cell_width - width(cell);
                    for _ in 0..n.div_ceil(TAB_WIDTH) {
                        out.push('\t');
                    }
                }
            }
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_share_widths() {
        // 14 -> 16 needs one tab; 5 -> 16 needs two (the describer test).
        assert_eq!(
            tabwrite("Unique Images:\t3\nTags:\t6\n"),
            "Unique Images:\t3\nTags:\t\t6\n"
        );
        // A line without a tab ends the block.
        assert_eq!(
            tabwrite("a:\t1\n\nlonger label:\t2\n"),
            "a:\t1\n\nlonger label:\t2\n"
        );
        // Exactly a multiple of 8 minus padding still gets one more tab stop.
        assert_eq!(tabwrite("1234567:\tx\n"), "1234567:\tx\n");
        assert_eq!(tabwrite("12345678:\tx\na:\ty\n"), "12345678:\tx\na:\t\ty\n");
    }

    #[test]
    fn nested_columns() {
        let out = tabwrite("Layers:\t1kB\tsha256:a\n\t10MB\tsha256:b\n");
        assert_eq!(out, "Layers:\t1kB\tsha256:a\n\t10MB\tsha256:b\n");
        let out = tabwrite("a\tbbbbbbbbbb\tc\nd\te\tf\n");
        assert_eq!(out, "a\tbbbbbbbbbb\tc\nd\te\t\tf\n");
    }

    #[test]
    fn characters_not_bytes() {
        assert_eq!(tabwrite("é\tx\nabc\ty\n"), "é\tx\nabc\ty\n");
    }
}
