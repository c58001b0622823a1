//! How a task's public files reach its pod. Only the public directory is mounted or
//! copied, never its parent: private answers sit beside it and must not reach the agent.

use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, HostPathVolumeSource, PersistentVolumeClaimVolumeSource,
    Volume, VolumeMount,
};

use super::RenderError;
use crate::bench::{DataSource, S3Data};

/// Where the agent finds the task inside its container.
pub const TASK_DIR: &str = "/task";
const VOLUME: &str = "task-data";
pub const STAGE_CONTAINER: &str = "stage-data";

/// The task directory as the agent sees it, and what the pod needs for it.
pub struct Staging {
    pub task_dir: String,
    pub volume: Option<Volume>,
    /// The agent's mount of `volume`.
    pub mount: Option<VolumeMount>,
    /// Downloads the files before the agent starts.
    pub init: Option<StageInit>,
}

/// The pieces of the S3 download; `pod.rs` adds image, env and security.
pub struct StageInit {
    pub s3: S3Data,
    pub source: String,
}

pub fn staging(data: Option<&DataSource>, public_dir: &Path) -> Result<Staging, RenderError> {
    let Some(data) = data else {
        // The task's files are in the image, at the path the controller sees.
        return Ok(Staging {
            task_dir: public_dir.display().to_string(),
            volume: None,
            mount: None,
            init: None,
        });
    };
    let read_only_mount = |sub_path: Option<String>| VolumeMount {
        name: VOLUME.to_owned(),
        mount_path: TASK_DIR.to_owned(),
        read_only: Some(true),
        sub_path,
        ..VolumeMount::default()
    };
    match data {
        DataSource::Volume(v) => {
            let relative = relative(public_dir, &v.local_root)?;
            let volume = Volume {
                name: VOLUME.to_owned(),
                persistent_volume_claim: v.claim.as_ref().map(|claim| {
                    PersistentVolumeClaimVolumeSource {
                        claim_name: claim.clone(),
                        read_only: Some(true),
                    }
                }),
                host_path: v.host_path.as_ref().map(|path| HostPathVolumeSource {
                    path: path.clone(),
                    type_: Some("Directory".to_owned()),
                }),
                ..Volume::default()
            };
            Ok(Staging {
                task_dir: TASK_DIR.to_owned(),
                volume: Some(volume),
                mount: Some(read_only_mount((!relative.is_empty()).then_some(relative))),
                init: None,
            })
        }
        DataSource::S3(s3) => {
            let relative = relative(public_dir, &s3.local_root)?;
            let base = s3.uri.trim_end_matches('/');
            let source = if relative.is_empty() {
                format!("{base}/*")
            } else {
                format!("{base}/{relative}/*")
            };
            Ok(Staging {
                task_dir: TASK_DIR.to_owned(),
                volume: Some(Volume {
                    name: VOLUME.to_owned(),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Volume::default()
                }),
                mount: Some(read_only_mount(None)),
                init: Some(StageInit {
                    s3: s3.clone(),
                    source,
                }),
            })
        }
    }
}

impl StageInit {
    /// `s5cmd cp 's3://bucket/prefix/<task>/*' /task/`: keeps the tree below the prefix.
    pub fn container(&self, default_image: &str, endpoint: Option<&str>) -> Container {
        let mut command = vec!["s5cmd".to_owned()];
        if let Some(endpoint) = endpoint {
            command.extend(["--endpoint-url".to_owned(), endpoint.to_owned()]);
        }
        command.extend(["cp".to_owned(), self.source.clone(), format!("{TASK_DIR}/")]);
        Container {
            name: STAGE_CONTAINER.to_owned(),
            image: Some(
                self.s3
                    .image
                    .clone()
                    .unwrap_or_else(|| default_image.to_owned()),
            ),
            command: Some(command),
            volume_mounts: Some(vec![VolumeMount {
                name: VOLUME.to_owned(),
                mount_path: TASK_DIR.to_owned(),
                ..VolumeMount::default()
            }]),
            ..Container::default()
        }
    }
}

/// `public_dir` below `local_root`, `/`-separated; both made absolute against the working
/// directory first, so that relative suite paths compare as the controller sees them.
fn relative(public_dir: &Path, local_root: &Path) -> Result<String, RenderError> {
    let outside = || RenderError::DataOutsideRoot {
        public_dir: public_dir.to_owned(),
        local_root: local_root.to_owned(),
    };
    let absolute = |p: &Path| std::path::absolute(p).map(|p| normalize(&p));
    let (dir, root) = (
        absolute(public_dir).map_err(|_| outside())?,
        absolute(local_root).map_err(|_| outside())?,
    );
    let rest = dir.strip_prefix(&root).map_err(|_| outside())?;
    let parts: Option<Vec<&str>> = rest
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    parts.map(|p| p.join("/")).ok_or_else(outside)
}

/// Removes `.` and resolves `..` lexically, as `std::path::absolute` leaves them.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_below_the_root() {
        let r = |d: &str, root: &str| relative(Path::new(d), Path::new(root));
        assert_eq!(
            r("/data/st/prepared/public", "/data").unwrap(),
            "st/prepared/public"
        );
        assert_eq!(r("/data/./st/../st/public", "/data/").unwrap(), "st/public");
        assert_eq!(r("/data", "/data").unwrap(), "");
        assert!(r("/other/st", "/data").is_err());
        assert!(r("/data/../etc", "/data").is_err());
        assert_eq!(
            r("benchmarks/demo/x/public", "benchmarks/demo").unwrap(),
            "x/public"
        );
    }
}
