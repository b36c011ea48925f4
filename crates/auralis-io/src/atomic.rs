//! Writing regular files so that readers see the old content or the new, never a mixture,
//! and so that no temporary file outlives the process that made it.
//!
//! The bytes go to a temporary file in the target's own directory (so the final step never
//! crosses a file system), which is flushed and `fsync`ed before it takes the target's name:
//!
//! * **Unnamed first** (Linux `O_TMPFILE`): the file has no name while it is written, so a
//!   crash, `kill -9` or power loss leaves nothing behind; when it is complete it is linked
//!   into place (`linkat` through `/proc/self/fd`).
//! * **Named otherwise** (file systems without `O_TMPFILE`, other platforms):
//!   `.NAME.auralis-tmp.HOST.BOOT.PID.N`. It is registered in a process-wide list so that a
//!   signal handler can remove it ([`remove_temporaries`]); and every later write into the
//!   same directory removes stale ones of *this* host and boot whose process is gone. Files
//!   of other hosts are never touched: outputs may live on storage several machines share.
//!
//! A new file is linked into place without replacing anything (`link`, which fails if the
//! name was taken meanwhile); replacing an existing file is a `rename` over it, which keeps
//! its permission bits. On any error — or a panic in the caller's closure — the temporary
//! file is removed and the target is left exactly as it was.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::error::IoError;
use crate::output::OutputPath;

/// Distinguishes temporary files of concurrent writes from one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
/// Named temporary files that exist right now (for [`remove_temporaries`]).
static LIVE_TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Buffer between the caller's writes and the file.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;
/// Marks our temporary files; what follows it is `HOST.BOOT.PID.N`.
const TEMP_MARK: &str = ".auralis-tmp.";
/// File names are limited to 255 bytes; the kept part of the target's name is shorter.
const NAME_PREFIX_BYTES: usize = 96;
/// Test hook (see [`hold_before_commit`]).
const HOLD_ENV: &str = "AURALIS_IO_TEST_HOLD_BEFORE_COMMIT";

/// Atomically replaces (or creates) `path` with `bytes`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// Atomically replaces (or creates) the file `path` names with whatever `write` writes.
///
/// A symbolic link is followed: the file it points to is replaced (beside itself), the link
/// stays. A FIFO or character device is written directly (there is nothing to replace);
/// a directory, block device or socket is an error. The parent directory must exist (it is
/// not created: where files go is the caller's decision).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoError> {
    OutputPath::resolve(path)?.write_with(true, write)
}

/// Removes every named temporary file this process has open. Meant for a signal handler
/// thread (SIGINT/SIGTERM) right before it exits; unnamed temporaries need nothing, the
/// kernel frees them with the process. Safe to call at any time from any thread.
///
/// Afterwards no new named temporary can be made in this process (creating one fails, as
/// the process is about to exit): creation checks that under the same lock, so none can
/// appear after the clean-up.
pub fn remove_temporaries() {
    let list = LIVE_TEMPS.lock().unwrap_or_else(|p| p.into_inner());
    EXITING.store(true, Ordering::SeqCst);
    for path in list.iter() {
        let _ = std::fs::remove_file(path);
    }
}

/// Set by [`remove_temporaries`]: the process is exiting, make no more temporaries.
static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The error for a temporary that may not be made any more.
fn exiting_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "the process is exiting (signal)",
    )
}

/// Writes a complete new version of the regular file `target` (which may not exist yet).
/// `replace`: whether an existing file may be replaced; if not, a file that appears meanwhile
/// is an error, not overwritten.
pub(crate) fn write_regular(
    target: &Path,
    replace: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoError> {
    let name = target.file_name().ok_or_else(|| {
        IoError::io(
            target,
            "cannot write",
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        )
    })?;
    let dir = directory_of(target);
    check_directory(dir, target)?;
    remove_stale_temporaries(dir);
    let mode = existing_mode(target);
    let (file, temp) = create_temp(dir, name, target)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    write(&mut writer).map_err(|e| IoError::io(target, "cannot write", e))?;
    let file = writer
        .into_inner()
        .map_err(|e| IoError::io(target, "cannot write", e.into_error()))?;
    if let Some(mode) = mode {
        set_mode(&file, mode);
    }
    file.sync_all()
        .map_err(|e| IoError::io(target, "cannot sync to disk", e))?;
    hold_before_commit(target);
    temp.commit(&file, dir, name, target, replace)?;
    drop(file);
    sync_directory(dir);
    Ok(())
}

/// The directory a file path lives in; a bare file name lives in the current directory.
pub(crate) fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn check_directory(dir: &Path, target: &Path) -> Result<(), IoError> {
    if dir.is_dir() {
        return Ok(());
    }
    Err(if dir.exists() {
        let e = io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        );
        IoError::io(target, "cannot write", e)
    } else {
        IoError::NotFound {
            path: dir.to_path_buf(),
        }
    })
}

/// A temporary file that deletes itself (if it has a name) unless committed, also when a
/// panic unwinds through the writer.
enum Temp {
    /// `O_TMPFILE`: no name until [`Temp::commit`] links it.
    Unnamed,
    Named(PathBuf),
}

impl Temp {
    /// Gives the finished file the target's name.
    fn commit(
        self,
        file: &File,
        dir: &Path,
        name: &OsStr,
        target: &Path,
        replace: bool,
    ) -> Result<(), IoError> {
        let exists_error = || {
            IoError::io(
                target,
                "cannot create",
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a file of that name appeared while this one was written",
                ),
            )
        };
        let place = |e: io::Error| IoError::io(target, "cannot move the new file into place", e);
        match &self {
            Temp::Unnamed if !replace => link_unnamed(file, target).map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    exists_error()
                } else {
                    place(e)
                }
            }),
            Temp::Unnamed => {
                // Link under a temporary name (registered, so a signal removes it), then
                // rename over the target: rename is the only atomic replace.
                let named = temp_path(dir, name);
                let linked = {
                    let mut list = LIVE_TEMPS.lock().unwrap_or_else(|p| p.into_inner());
                    if EXITING.load(Ordering::SeqCst) {
                        Err(exiting_error())
                    } else {
                        list.push(named.clone());
                        link_unnamed(file, &named)
                    }
                };
                let result = linked.and_then(|()| {
                    std::fs::rename(&named, target).inspect_err(|_| {
                        let _ = std::fs::remove_file(&named);
                    })
                });
                unregister(&named);
                result.map_err(place)
            }
            Temp::Named(path) if !replace => {
                let result = move_no_replace(path, target);
                let _ = std::fs::remove_file(path);
                unregister(path);
                result.map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        exists_error()
                    } else {
                        place(e)
                    }
                })?;
                std::mem::forget(self);
                Ok(())
            }
            Temp::Named(path) => {
                std::fs::rename(path, target).map_err(place)?;
                unregister(path);
                std::mem::forget(self);
                Ok(())
            }
        }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Temp::Named(path) = self {
            // Nothing better to do if this fails: the original error is what matters.
            let _ = std::fs::remove_file(&*path);
            unregister(path);
        }
    }
}

/// Gives `temp` the name `target` unless `target` exists: `renameat2(RENAME_NOREPLACE)`
/// where the kernel and file system have it (vfat and exFAT do), else a hard link (most
/// Unix file systems), else — a file system with neither, such as SMB without Unix
/// extensions — a rename after checking that the target is absent (a tiny race, the best
/// such a file system allows).
fn move_no_replace(temp: &Path, target: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
        };
        let (from, to) = (c(temp)?, c(target)?);
        // SAFETY: valid NUL-terminated strings for the duration of the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {}
            _ => return Err(err),
        }
    }
    match std::fs::hard_link(temp, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if std::fs::symlink_metadata(target).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "target exists",
                ));
            }
            std::fs::rename(temp, target)
        }
    }
}

fn unregister(path: &Path) {
    let mut list = LIVE_TEMPS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = list.iter().position(|p| p == path) {
        list.swap_remove(i);
    }
}

/// This host and boot, as they appear in temporary names: `HOST.BOOT`.
fn host_and_boot() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let clean = |s: &str| -> String {
            s.trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(32)
                .collect()
        };
        let host = hostname().map(|h| clean(&h)).unwrap_or_default();
        let boot: String = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|b| clean(&b.replace('-', "")).chars().take(12).collect())
            .unwrap_or_default();
        format!(
            "{}.{}",
            if host.is_empty() { "host" } else { &host },
            if boot.is_empty() { "boot" } else { &boot }
        )
    })
}

#[cfg(unix)]
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
    // (or truncates, which the search for NUL below tolerates).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

#[cfg(not(unix))]
fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

/// `DIR/.NAME.auralis-tmp.HOST.BOOT.PID.N`, NAME cut to a length that keeps the whole name
/// within the usual 255-byte limit.
fn temp_path(dir: &Path, name: &OsStr) -> PathBuf {
    let name = name.to_string_lossy();
    let mut end = name.len().min(NAME_PREFIX_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = OsString::from(".");
    temp.push(&name[..end]);
    temp.push(format!(
        "{TEMP_MARK}{}.{}.{counter}",
        host_and_boot(),
        std::process::id()
    ));
    dir.join(temp)
}

/// Creates the temporary file: unnamed where the file system allows, else named.
fn create_temp(dir: &Path, name: &OsStr, target: &Path) -> Result<(File, Temp), IoError> {
    if let Some(file) = create_unnamed(dir) {
        return Ok((file, Temp::Unnamed));
    }
    let mut attempts = 0;
    loop {
        let path = temp_path(dir, name);
        // Registered and created under the lock, so a signal's clean-up either sees the
        // file or runs before it exists and keeps it from being created.
        let created = {
            let mut list = LIVE_TEMPS.lock().unwrap_or_else(|p| p.into_inner());
            let created = if EXITING.load(Ordering::SeqCst) {
                Err(exiting_error())
            } else {
                OpenOptions::new().write(true).create_new(true).open(&path)
            };
            if created.is_ok() {
                list.push(path.clone());
            }
            created
        };
        match created {
            Ok(file) => return Ok((file, Temp::Named(path))),
            Err(e) => {
                if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 {
                    attempts += 1;
                    continue;
                }
                return Err(IoError::io(
                    target,
                    "cannot create a temporary file beside it",
                    e,
                ));
            }
        }
    }
}

/// Set (to anything) to make every write use named temporaries, so tests can exercise that
/// path on file systems that support `O_TMPFILE`.
const FORCE_NAMED_ENV: &str = "AURALIS_IO_NAMED_TEMPORARIES";

#[cfg(target_os = "linux")]
fn create_unnamed(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if std::env::var_os(FORCE_NAMED_ENV).is_some() || !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    // Fails with EOPNOTSUPP (or EISDIR on old kernels) where the file system has no
    // O_TMPFILE; then the caller falls back to a named file.
    OpenOptions::new()
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn create_unnamed(_dir: &Path) -> Option<File> {
    let _ = FORCE_NAMED_ENV;
    None
}

#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, target: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let proc_path = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(io::Error::other)?;
    let target = std::ffi::CString::new(target.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: both strings are valid NUL-terminated C strings for the duration of the call.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc_path.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _target: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "unnamed temporary files exist only on Linux",
    ))
}

/// The permission bits of an existing file, to give its replacement the same.
#[cfg(unix)]
fn existing_mode(target: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(target)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn existing_mode(_target: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) {}

/// Removes named temporaries in `dir` left by a process of this host and boot that no
/// longer runs (killed with SIGKILL, or by a power cut before the last boot — those carry
/// another boot id and are left alone, like every other host's).
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let ours = format!("{}.", host_and_boot());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(at) = name.rfind(TEMP_MARK) else {
            continue;
        };
        let Some(rest) = name[at + TEMP_MARK.len()..].strip_prefix(&ours) else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !process_alive(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Test hook: when `AURALIS_IO_TEST_HOLD_BEFORE_COMMIT` names a file, the writer creates it
/// once the data is on disk and waits (up to 30 s) before committing, so that a test can
/// send a signal at exactly that point and check what is left behind.
fn hold_before_commit(_target: &Path) {
    if let Some(marker) = std::env::var_os(HOLD_ENV) {
        let _ = std::fs::write(&marker, b"");
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

/// Makes the rename itself durable. Best effort: not every platform or file system lets a
/// directory be opened and synced, and the data is already safe either way.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_file_names_live_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("out.wav")), Path::new("."));
        assert_eq!(directory_of(Path::new("a/out.wav")), Path::new("a"));
        assert_eq!(directory_of(Path::new("/out.wav")), Path::new("/"));
    }

    #[test]
    fn temp_names_carry_host_boot_and_pid_and_fit_the_name_limit() {
        let long = "x".repeat(300);
        let p = temp_path(Path::new("/d"), OsStr::new(&long));
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(name.len() < 255, "{}", name.len());
        assert!(name.contains(TEMP_MARK));
        assert!(name.contains(&format!(".{}.", std::process::id())));
        assert!(name.contains(host_and_boot()));
    }
}
