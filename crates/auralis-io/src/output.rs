//! Where output goes, decided once from what the path names — before any work is done.
//!
//! | the path names | what happens |
//! |---|---|
//! | `-` | written to standard output, as a stream |
//! | nothing yet | a new regular file, created atomically (never over a file that appears meanwhile) |
//! | a regular file | replaced atomically (only when the caller allows it) |
//! | a symbolic link | followed: its final target is treated as above; the link itself stays |
//! | a FIFO or character device (`/dev/stdout`, `/dev/null`, a named pipe) | written directly: nothing is replaced |
//! | a directory, block device or socket | an error: nothing is written |
//!
//! The rule behind it: only a regular file is ever replaced, and only by a complete new one.
//! Before, `auralis limit in.wav /dev/stdout --overwrite` run as root replaced the
//! `/dev/stdout` link with a regular file.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::atomic::{directory_of, write_regular};
use crate::error::IoError;

/// Symbolic links followed at most (Linux's own limit is 40).
const MAX_LINK_HOPS: usize = 40;
/// Buffer between the encoder and a stream or device.
const STREAM_BUFFER_BYTES: usize = 256 * 1024;

/// What an output path names, with links already followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `-`: standard output.
    Stdout,
    /// Nothing exists there yet: a new regular file at this (link-resolved) path.
    NewFile(PathBuf),
    /// An existing regular file at this (link-resolved) path.
    ExistingFile(PathBuf),
    /// A FIFO or character device, opened for writing as it is.
    Stream(PathBuf),
}

/// An output path and what it resolved to.
#[derive(Clone, Debug)]
pub struct OutputPath {
    requested: PathBuf,
    kind: OutputKind,
}

impl OutputPath {
    /// Resolves `path` (see the module documentation); `-` is standard output.
    pub fn resolve(path: &Path) -> Result<Self, IoError> {
        let kind = if path.as_os_str() == "-" {
            OutputKind::Stdout
        } else {
            resolve_kind(path)?
        };
        Ok(Self {
            requested: path.to_path_buf(),
            kind,
        })
    }

    /// The path as the caller gave it.
    pub fn requested(&self) -> &Path {
        &self.requested
    }

    /// What it resolved to.
    pub fn kind(&self) -> &OutputKind {
        &self.kind
    }

    /// The regular file that writing would replace, if any.
    pub fn existing_file(&self) -> Option<&Path> {
        match &self.kind {
            OutputKind::ExistingFile(p) => Some(p),
            _ => None,
        }
    }

    /// The lower-case extension of the file that will be written, if it is a file and has
    /// one (`-`, FIFOs and devices have none: their format must be given).
    pub fn extension(&self) -> Option<String> {
        match &self.kind {
            OutputKind::NewFile(p) | OutputKind::ExistingFile(p) => p
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase),
            OutputKind::Stdout | OutputKind::Stream(_) => None,
        }
    }

    /// Where scratch files for this output go: a regular file's own directory (its file
    /// system has room for the output, and is not a `/tmp` that may be memory), else the
    /// system's temporary directory.
    pub fn scratch_dir(&self) -> PathBuf {
        match &self.kind {
            OutputKind::NewFile(p) | OutputKind::ExistingFile(p) => match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            },
            OutputKind::Stdout | OutputKind::Stream(_) => std::env::temp_dir(),
        }
    }

    /// Whether the output is the file at `input` (same device and inode, links followed).
    pub fn is_same_file_as(&self, input: &Path) -> bool {
        let out = match &self.kind {
            OutputKind::ExistingFile(p) | OutputKind::Stream(p) => p.as_path(),
            OutputKind::Stdout => Path::new("/dev/stdout"),
            OutputKind::NewFile(_) => return false,
        };
        same_file(out, input)
    }

    /// Writes whatever `write` writes to the output: a regular file atomically (an existing
    /// one only if `replace_existing`), a stream or device directly. A failed or panicking
    /// `write` leaves a regular file's old content and no temporary file.
    pub fn write_with(
        &self,
        replace_existing: bool,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), IoError> {
        match &self.kind {
            OutputKind::NewFile(p) => write_regular(p, false, write),
            OutputKind::ExistingFile(p) if replace_existing => write_regular(p, true, write),
            OutputKind::ExistingFile(p) => Err(IoError::io(
                p,
                "will not replace",
                io::Error::new(io::ErrorKind::AlreadyExists, "the file already exists"),
            )),
            OutputKind::Stdout => {
                let stdout = io::stdout();
                let mut w = BufWriter::with_capacity(STREAM_BUFFER_BYTES, stdout.lock());
                write(&mut w)
                    .and_then(|()| w.flush())
                    .map_err(|e| IoError::io(Path::new("<standard output>"), "cannot write", e))
            }
            OutputKind::Stream(p) => {
                // No `create`, no `truncate`: a FIFO or device is written as it is.
                let file = OpenOptions::new()
                    .write(true)
                    .open(p)
                    .map_err(|e| IoError::io(&self.requested, "cannot open for writing", e))?;
                let mut w = BufWriter::with_capacity(STREAM_BUFFER_BYTES, file);
                write(&mut w)
                    .and_then(|()| w.flush())
                    .map_err(|e| IoError::io(&self.requested, "cannot write", e))
            }
        }
    }
}

/// Follows links from `path` and classifies what is at the end.
fn resolve_kind(path: &Path) -> Result<OutputKind, IoError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(OutputKind::NewFile(current));
            }
            Err(e) => return Err(IoError::io(path, "cannot inspect", e)),
        };
        let file_type = meta.file_type();
        if let Some(fd) = open_descriptor(&current) {
            return descriptor_kind(path, &current, fd);
        }
        if file_type.is_symlink() {
            refuse_foreign_link_in_sticky_dir(path, &current, &meta)?;
            let link = std::fs::read_link(&current)
                .map_err(|e| IoError::io(path, "cannot read the link", e))?;
            let next = if link.is_absolute() {
                link
            } else {
                directory_of(&current).join(link)
            };
            // `/dev/stdout` → `/proc/self/fd/1`: one of our descriptors.
            if let Some(fd) = open_descriptor(&next) {
                return descriptor_kind(path, &next, fd);
            }
            // A magic link such as /proc/self/fd/3 → "pipe:[123]" names no path: ask what
            // it points at by following it (metadata follows), and write through the link.
            match std::fs::metadata(&current) {
                Ok(target) if !target.is_file() && !target.is_dir() => {
                    return classify_special(path, &current, &target);
                }
                _ => {}
            }
            current = next;
            continue;
        }
        if file_type.is_file() {
            return Ok(OutputKind::ExistingFile(current));
        }
        return classify_special(path, &current, &meta);
    }
    Err(IoError::io(
        path,
        "cannot write",
        io::Error::other(format!(
            "more than {MAX_LINK_HOPS} symbolic links (a loop?)"
        )),
    ))
}

/// The descriptor `path` names if it is one of this process's descriptors:
/// `/dev/stdout`'s target `/proc/self/fd/1`, `/dev/fd/N`, `/proc/<our pid>/fd/N`.
fn open_descriptor(path: &Path) -> Option<i32> {
    let text = path.to_str()?;
    let own = format!("/proc/{}/fd/", std::process::id());
    let n = text
        .strip_prefix("/proc/self/fd/")
        .or_else(|| text.strip_prefix("/dev/fd/"))
        .or_else(|| text.strip_prefix(own.as_str()))?;
    n.parse().ok()
}

/// An output that is one of our open descriptors is written through that descriptor, never
/// re-opened by name: `/dev/stdout` with standard output redirected to a log (`>> job.log`)
/// must append to it, not replace the log with a new file.
fn descriptor_kind(requested: &Path, link: &Path, fd: i32) -> Result<OutputKind, IoError> {
    let refuse = |why: String| {
        Err(IoError::io(
            requested,
            "will not write",
            io::Error::other(why),
        ))
    };
    match fd {
        1 => Ok(OutputKind::Stdout),
        2 => refuse("it is standard error, which carries the messages".into()),
        _ => match std::fs::metadata(link) {
            Ok(m) if m.is_file() => refuse(format!(
                "descriptor {fd} is open on a regular file; give that file's own path"
            )),
            Ok(m) => classify_special(requested, link, &m),
            Err(e) => Err(IoError::io(requested, "cannot inspect", e)),
        },
    }
}

/// The kernel's `protected_symlinks` rule, applied because links are followed here by hand:
/// in a sticky, world-writable directory (`/tmp`), a link is followed only if it belongs to
/// the directory's owner or to us — otherwise another user could plant `/tmp/out.wav`
/// pointing at a file of ours and have it replaced.
fn refuse_foreign_link_in_sticky_dir(
    requested: &Path,
    link: &Path,
    link_meta: &std::fs::Metadata,
) -> Result<(), IoError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(dir) = std::fs::metadata(directory_of(link)) else {
            return Ok(());
        };
        let sticky_world_writable = dir.mode() & 0o1002 == 0o1002;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if sticky_world_writable && link_meta.uid() != dir.uid() && link_meta.uid() != me {
            return Err(IoError::io(
                requested,
                "will not follow",
                io::Error::other(format!(
                    "{} is a symbolic link owned by another user in a sticky, world-writable \
                     directory",
                    link.display()
                )),
            ));
        }
    }
    let _ = (requested, link, link_meta);
    Ok(())
}

/// A FIFO or character device is a stream; anything else that is not a regular file is
/// refused.
fn classify_special(
    requested: &Path,
    resolved: &Path,
    meta: &std::fs::Metadata,
) -> Result<OutputKind, IoError> {
    let refuse = |what: &str| {
        Err(IoError::io(
            requested,
            "will not write",
            io::Error::other(format!("it is {what}")),
        ))
    };
    if meta.is_dir() {
        return refuse("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() || t.is_char_device() {
            return Ok(OutputKind::Stream(resolved.to_path_buf()));
        }
        if t.is_block_device() {
            return refuse("a block device (raw audio would overwrite the disk)");
        }
        if t.is_socket() {
            return refuse("a socket");
        }
    }
    let _ = resolved;
    refuse("not a regular file, FIFO or character device")
}

/// Same device and inode (following links); false when either cannot be inspected.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
