//! Standard output as every command writes it.
//!
//! A reader that goes away early (`golive gate FILE | head -1`) must not change what golive
//! concludes: the command still finishes its work and its exit code is still its verdict (a
//! NO-GO stays 1). So a write that meets a closed pipe is not an error here: the rest of the
//! output is dropped and the command goes on. Every other write error (a full disk behind a
//! redirect) still is one.
//!
//! Architecture invariant: nothing in `cli` writes to stdout but through [`stdout`], [`say!`]
//! or [`print_json`] (clippy's `print_stdout` and `disallowed-methods` enforce it).

use std::io::{self, Write};

/// A writer that treats a closed pipe as the end of its output, not as a failure.
pub(crate) struct Survivor<W: Write> {
    inner: W,
    reader_gone: bool,
}

impl<W: Write> Survivor<W> {
    pub(crate) fn new(inner: W) -> Survivor<W> {
        Survivor {
            inner,
            reader_gone: false,
        }
    }

    fn absorb<T>(&mut self, result: io::Result<T>, instead: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone = true;
                Ok(instead)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for Survivor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.reader_gone {
            return Ok(buf.len());
        }
        let written = self.inner.write(buf);
        self.absorb(written, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.reader_gone {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.absorb(flushed, ())
    }
}

/// Standard output for text: colours through `anstream` (stripped for pipes and `NO_COLOR`),
/// and a closed pipe ends the output, not the command.
#[allow(clippy::disallowed_methods)] // the one place that opens stdout
pub(crate) fn stdout() -> Survivor<anstream::AutoStream<io::StdoutLock<'static>>> {
    Survivor::new(anstream::stdout().lock())
}

/// Standard output for bytes that must reach the reader exactly as they are (a report), with
/// the same treatment of a closed pipe.
#[allow(clippy::disallowed_methods)]
pub(crate) fn raw_stdout() -> Survivor<io::StdoutLock<'static>> {
    Survivor::new(io::stdout().lock())
}

/// Whether stdout is a terminal (progress bars and colours are for people).
#[allow(clippy::disallowed_methods)]
pub(crate) fn stdout_is_terminal() -> bool {
    io::IsTerminal::is_terminal(&io::stdout())
}

/// One line of text to stdout, as `println!` formats it; a closed pipe is not an error.
pub(crate) fn say_line(line: std::fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = stdout();
    out.write_fmt(line)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `println!` that survives a closed pipe: `say!("{n} events")?;`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one JSON document to stdout as it is serialised: the results of 10,000 checks
/// never sit in memory as one 11 MB text. Our documents hold no values serde_json refuses
/// (no non-string map keys; NaN becomes null), so only writing can fail.
#[allow(clippy::disallowed_methods)]
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = Survivor::new(io::BufWriter::new(io::stdout().lock()));
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader left after `room` bytes.
    struct ClosesAfter {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for ClosesAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.room {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = buf.len().min(self.room - self.got.len());
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_the_output_quietly() {
        let mut out = Survivor::new(ClosesAfter {
            room: 4,
            got: Vec::new(),
        });
        out.write_all(b"hello world")
            .expect("no error for a closed pipe");
        assert!(out.reader_gone);
        out.write_all(b"more").expect("nor after it");
        out.flush().expect("flushing too");
        assert_eq!(out.inner.got, b"hell");
    }

    #[test]
    fn other_write_errors_still_fail() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Survivor::new(Full);
        assert!(out.write_all(b"x").is_err());
        assert!(!out.reader_gone);
    }
}
