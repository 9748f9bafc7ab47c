//! The report folder: every file is written under a temporary name and renamed into place, so an interrupted
//! run never leaves a half-written report file behind.

use std::fs;
use std::path::PathBuf;

use crate::error::Error;
use crate::plot::{Figure, render};

/// The folder reports and pictures go to (`--out`, default `glassmap-report/`).
#[derive(Clone, Debug)]
pub struct ReportDir {
    dir: PathBuf,
}

impl ReportDir {
    /// The default folder name.
    pub const DEFAULT: &'static str = "glassmap-report";

    /// A report folder at `dir`; nothing is created until the first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ReportDir { dir: dir.into() }
    }

    /// Writes `contents` to `name` inside the folder (creating the folder if needed) and returns the final path.
    ///
    /// The bytes go to a hidden temporary file first, which is renamed over `name` once complete.
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<PathBuf, Error> {
        fs::create_dir_all(&self.dir).map_err(|e| Error::write(&self.dir, e))?;
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result = fs::write(&tmp, contents).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(Error::write(&path, e));
        }
        Ok(path)
    }

    /// Removes `<stem>.png` and `<stem>.svg` if an earlier run left them, so a report never mixes two runs.
    pub fn remove_stale_figure(&self, stem: &str) -> Result<(), Error> {
        for ext in ["png", "svg"] {
            let path = self.dir.join(format!("{stem}.{ext}"));
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::write(&path, e));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Renders `figure` and writes `<stem>.png` and `<stem>.svg`; returns both paths.
    pub fn write_figure(&self, stem: &str, figure: &impl Figure) -> Result<[PathBuf; 2], Error> {
        let rendered = render(figure)?;
        Ok([
            self.write(&format!("{stem}.png"), &rendered.png)?,
            self.write(&format!("{stem}.svg"), rendered.svg.as_bytes())?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_leaves_no_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/report");
        let report = ReportDir::new(&dir);
        let path = report.write("a.txt", b"one").unwrap();
        report.write("a.txt", b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.txt"]);
    }

    #[test]
    fn stale_figures_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let report = ReportDir::new(tmp.path());
        report.write("latency.png", b"old").unwrap();
        report.write("results.json", b"{}").unwrap();
        report.remove_stale_figure("latency").unwrap();
        report.remove_stale_figure("throughput").unwrap();
        assert!(!tmp.path().join("latency.png").exists());
        assert!(tmp.path().join("results.json").exists());
    }

    #[test]
    fn an_unwritable_folder_is_an_output_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"").unwrap();
        let err = ReportDir::new(&file).write("a.txt", b"x").unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_OUTPUT);
    }
}
