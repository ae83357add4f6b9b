//! Where jobs keep their files: one directory per job under a root that
//! every server and `jianfu jobs run` of the database share (next to a
//! SQLite file, or the directory `--data-dir` names), so whichever worker
//! takes a job over finds its upload. The job id is the directory name.

use std::path::{Path, PathBuf};

use super::JobError;

/// The root of the jobs' directories.
#[derive(Debug, Clone)]
pub struct Uploads {
    root: PathBuf,
}

impl Uploads {
    /// Jobs' files under `root` (created when first needed).
    pub fn new(root: impl Into<PathBuf>) -> Uploads {
        Uploads { root: root.into() }
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of job `id`. Ids are this crate's random hex, but
    /// one read back from a URL or the database is checked all the same,
    /// so no id names a path outside the root.
    pub fn dir(&self, id: &str) -> Result<PathBuf, JobError> {
        let plain = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !plain {
            return Err(JobError::Invalid(format!("任务编号无效：{id:.64}")));
        }
        Ok(self.root.join(id))
    }

    /// Removes `file` of job `id` if it is there (a job ended; a missing
    /// file has nothing to remove).
    pub fn remove_file(&self, id: &str, file: &str) {
        let Ok(dir) = self.dir(id) else { return };
        match std::fs::remove_file(dir.join(file)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(job = id, error = %e, "cannot remove a job's file"),
        }
    }

    /// Removes the directory of job `id` with everything in it.
    pub fn remove_dir(&self, id: &str) {
        let Ok(dir) = self.dir(id) else { return };
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(job = id, error = %e, "cannot remove a job's directory"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_never_leave_the_root() {
        let u = Uploads::new("/data/uploads");
        assert_eq!(u.dir("3fa9c0").unwrap(), Path::new("/data/uploads/3fa9c0"));
        for bad in ["", "..", "a/b", "../etc", "a\\b", &"x".repeat(65)] {
            assert!(u.dir(bad).is_err(), "{bad}");
        }
    }
}
