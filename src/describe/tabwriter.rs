//! Go's `text/tabwriter` in the two configurations `oc` uses: `oc
//! describe`'s (minwidth 0, tabwidth 8, padding 1, padchar `'\t'`) and
//! `oc get`'s table printer (minwidth 6, tabwidth 4, padding 3, padchar
//! `' '`); no flags in either.
//!
//! Cells are tab-terminated; the text after a line's last tab is not part
//! of any column. Consecutive lines that have a cell in column `j` form a
//! block; the block's width for that column is its widest cell plus the
//! padding, at least the minimum width. With tab padding the width is
//! rounded up to a multiple of the tab width and cells are padded with
//! tabs; otherwise with spaces. Widths count characters (runes), as Go
//! does.

/// A tabwriter configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    min_width: usize,
    tab_width: usize,
    padding: usize,
    pad_with_tabs: bool,
}

impl Layout {
    /// `oc describe`: `tabwriter.NewWriter(out, 0, 8, 1, '\t', 0)`.
    pub(crate) const DESCRIBE: Self = Self {
        min_width: 0,
        tab_width: 8,
        padding: 1,
        pad_with_tabs: true,
    };
    /// `oc get` (kubectl's printers): `NewWriter(out, 6, 4, 3, ' ', 0)`.
    pub(crate) const TABLE: Self = Self {
        min_width: 6,
        tab_width: 4,
        padding: 3,
        pad_with_tabs: false,
    };
}

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
    let mut w = TabWriter::with_capacity(text.len());
    // With a newline at the end, an input without one is formatted the
    // same way; it is taken off again below.
    w.push_str(text);
    let mut out = w.finish();
    // Every line is written with its newline; the last one only had one if
    // the input did.
    if !text.ends_with('\n') && !text.is_empty() {
        out.pop();
    }
    out
}

/// A streaming tabwriter that formats in place: text is appended to the
/// output as it comes, and when a line without a tab ends a segment that
/// has tabbed lines (no column block crosses such a line), only that
/// segment is taken out, aligned and written back. Lines outside any
/// column, most of a large stream's history, are written exactly once.
pub(crate) struct TabWriter {
    layout: Layout,
    out: String,
    /// Where the unformatted segment starts in `out`.
    segment: usize,
    /// Whether the segment holds a complete line with a tab.
    segment_has_tab: bool,
    /// Whether the line being written has a tab.
    line_has_tab: bool,
    scratch: String,
    cells: Vec<(usize, usize)>,
    lines: Vec<(usize, usize)>,
    widths: Vec<usize>,
}

impl TabWriter {
    /// A writer with `oc describe`'s layout.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self::with_layout(Layout::DESCRIBE, n)
    }

    pub(crate) fn with_layout(layout: Layout, n: usize) -> Self {
        Self {
            layout,
            out: String::with_capacity(n),
            segment: 0,
            segment_has_tab: false,
            line_has_tab: false,
            scratch: String::new(),
            cells: Vec::new(),
            lines: Vec::new(),
            widths: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, c: char) {
        self.out.push(c);
        match c {
            '\t' => self.line_has_tab = true,
            '\n' => self.end_line(),
            _ => {}
        }
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        // Most text (pull specs, ages, names) has neither: one branch-free
        // pass that the compiler vectorizes, then a plain copy.
        let breaks = s
            .bytes()
            .fold(0u8, |n, b| n | u8::from(b == b'\n') | u8::from(b == b'\t'));
        if breaks == 0 {
            self.out.push_str(s);
            return;
        }
        let mut rest = s;
        while let Some(i) = rest.bytes().position(|b| b == b'\n' || b == b'\t') {
            let (head, tail) = rest.split_at(i + 1);
            self.out.push_str(head);
            if head.ends_with('\t') {
                self.line_has_tab = true;
            } else {
                self.end_line();
            }
            rest = tail;
        }
        self.out.push_str(rest);
    }

    fn end_line(&mut self) {
        if self.line_has_tab {
            self.segment_has_tab = true;
            self.line_has_tab = false;
            return;
        }
        if self.segment_has_tab {
            // This line ends the segment's last column block; it is
            // formatted with the segment, which leaves it unchanged.
            self.flush_segment();
        }
        self.segment = self.out.len();
    }

    /// Aligns `out[segment..]` (complete lines) in place.
    fn flush_segment(&mut self) {
        self.segment_has_tab = false;
        self.scratch.clear();
        self.scratch.push_str(&self.out[self.segment..]);
        self.out.truncate(self.segment);
        let text = self.scratch.strip_suffix('\n').unwrap_or(&self.scratch);
        self.cells.clear();
        self.lines.clear();
        let mut pos = 0;
        for line in text.split('\n') {
            let start = self.cells.len();
            for cell in line.split('\t') {
                self.cells.push((pos, pos + cell.len()));
                pos += cell.len() + 1;
            }
            self.lines.push((start, self.cells.len()));
        }
        let table = Table {
            layout: self.layout,
            text,
            cells: &self.cells,
            lines: &self.lines,
        };
        table.format(0, self.lines.len(), &mut self.widths, &mut self.out);
    }

    /// Formats whatever is left and returns the output.
    pub(crate) fn finish(mut self) -> String {
        if self.out.len() > self.segment && !self.out.ends_with('\n') {
            self.push('\n');
        }
        if self.segment_has_tab {
            self.flush_segment();
        }
        self.out
    }
}

impl std::fmt::Write for TabWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

fn width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

/// A segment's lines, each a range of cells, each a range of `text`.
struct Table<'a> {
    layout: Layout,
    text: &'a str,
    cells: &'a [(usize, usize)],
    lines: &'a [(usize, usize)],
}

impl Table<'_> {
    fn line(&self, i: usize) -> &[(usize, usize)] {
        let (a, b) = self.lines[i];
        &self.cells[a..b]
    }

    fn cell(&self, span: (usize, usize)) -> &str {
        &self.text[span.0..span.1]
    }

    /// Go's `Writer.format`, which recurses once per column, run on an
    /// explicit stack instead: a line with a million tabs must not
    /// overflow a small thread stack (issue #10, point 1). Each frame lays
    /// out lines `start..end` given the widths of the columns to its left
    /// (`widths`, one per enclosing frame); the work is linear in the
    /// number of cells.
    fn format(&self, start: usize, end: usize, widths: &mut Vec<usize>, out: &mut String) {
        struct Frame {
            /// First line not yet written.
            start: usize,
            end: usize,
            /// Next line to look at.
            this: usize,
        }
        let mut stack = vec![Frame {
            start,
            end,
            this: start,
        }];
        let base = widths.len();
        while let Some(frame) = stack.last_mut() {
            let column = widths.len();
            while frame.this < frame.end && column + 1 >= self.line(frame.this).len() {
                frame.this += 1;
            }
            if frame.this < frame.end {
                // A block of lines that have a cell in this column starts
                // here: write what precedes it, then lay the block out one
                // column further right.
                self.write_lines(frame.start, frame.this, widths, out);
                let block_start = frame.this;
                let mut block_width = self.layout.min_width;
                while frame.this < frame.end && column + 1 < self.line(frame.this).len() {
                    let cell = width(self.cell(self.line(frame.this)[column]));
                    block_width = block_width.max(cell.saturating_add(self.layout.padding));
                    frame.this += 1;
                }
                // The block's lines are written by the frame pushed below.
                frame.start = frame.this;
                let block_end = frame.this;
                widths.push(block_width);
                stack.push(Frame {
                    start: block_start,
                    end: block_end,
                    this: block_start,
                });
            } else {
                self.write_lines(frame.start, frame.end, widths, out);
                stack.pop();
                if widths.len() > base {
                    widths.pop();
                }
            }
        }
    }

    /// Go's `writePadding`: from a cell's text width to the column's.
    fn pad(&self, text_width: usize, column_width: usize, out: &mut String) {
        let Layout {
            tab_width,
            pad_with_tabs,
            ..
        } = self.layout;
        if pad_with_tabs {
            let n = column_width.div_ceil(tab_width) * tab_width - text_width;
            out.extend(std::iter::repeat_n('\t', n.div_ceil(tab_width)));
        } else {
            out.extend(std::iter::repeat_n(' ', column_width - text_width));
        }
    }

    fn write_lines(&self, from: usize, to: usize, widths: &[usize], out: &mut String) {
        for i in from..to {
            let line = self.line(i);
            for (j, &span) in line.iter().enumerate() {
                let cell = self.cell(span);
                out.push_str(cell);
                if j < widths.len() && j + 1 < line.len() {
                    self.pad(width(cell), widths[j], out);
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
    fn table_layout_pads_with_spaces() {
        // kubectl: at least 6 wide, 3 spaces of padding, the last cell free.
        let mut w = TabWriter::with_layout(Layout::TABLE, 64);
        w.push_str("NAME\tIMAGE REPOSITORY\tTAGS\nab\tr\tx,y\n");
        assert_eq!(
            w.finish(),
            "NAME   IMAGE REPOSITORY   TAGS\nab     r                  x,y\n"
        );
    }

    #[test]
    fn characters_not_bytes() {
        assert_eq!(tabwrite("é\tx\nabc\ty\n"), "é\tx\nabc\ty\n");
    }
}
