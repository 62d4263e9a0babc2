//! A plain table rendered either as aligned text (terminal) or as a GitHub markdown table
//! (`EVALUATION.md`), so both show the same rows.

/// Rows of cells under a header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(x) = w.get_mut(i) {
                    *x = (*x).max(c.chars().count());
                }
            }
        }
        w
    }

    /// Aligned text: first column left-aligned, the others right-aligned, two spaces apart.
    pub fn to_text(&self) -> String {
        let w = self.widths();
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let width = w.get(i).copied().unwrap_or(0);
                    if i == 0 {
                        format!("{c:<width$}")
                    } else {
                        format!("{c:>width$}")
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_owned() + "\n"
        };
        let mut out = line(&self.header);
        let total: usize = w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        out += &"-".repeat(total);
        out += "\n";
        for r in &self.rows {
            out += &line(r);
        }
        out
    }

    /// A markdown table (first column left-aligned, the others right-aligned).
    pub fn to_markdown(&self) -> String {
        let esc = |c: &str| c.replace('|', "\\|");
        let mut out = format!(
            "| {} |\n",
            self.header
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let align: Vec<&str> = (0..self.header.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        out += &format!("|{}|\n", align.join("|"));
        for r in &self.rows {
            out += &format!(
                "| {} |\n",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        out
    }
}

/// A share as text with three decimals, `-` when undefined.
pub fn fmt_ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

/// A value with `decimals` decimals, `-` when undefined.
pub fn fmt_value(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_markdown() {
        let mut t = Table::new(&["group", "recall"]);
        t.row(vec!["vehicle".into(), fmt_ratio(Some(0.5))]);
        t.row(vec!["a|b".into(), fmt_ratio(None)]);
        assert_eq!(
            t.to_text(),
            "group    recall\n---------------\nvehicle   0.500\na|b           -\n"
        );
        assert_eq!(
            t.to_markdown(),
            "| group | recall |\n|---|---:|\n| vehicle | 0.500 |\n| a\\|b | - |\n"
        );
    }
}
