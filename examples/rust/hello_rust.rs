//! hello_rust.rs — the Rust example: reverses the order of the lines of stdin.
//!
//! Reads the whole request payload, splits it at '\n' and writes the lines back
//! in reverse order, each followed by '\n' (a missing final newline is added,
//! so for newline-terminated input the output equals `tac`). Works on bytes,
//! so the payload need not be UTF-8. Exit 0, or 1 on an I/O error.
//!
//! Used in tests to show that a Rust program built for wasm32-wasi with the
//! Rust standard library runs unmodified, like the C examples.
use std::io::{self, Read, Write};
use std::process::ExitCode;

fn run() -> io::Result<()> {
    let mut input = Vec::new();
    io::stdin().lock().read_to_end(&mut input)?;
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if input.last() == Some(&b'\n') || input.is_empty() {
        lines.pop(); // the empty piece after the final newline (or of empty input)
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for line in lines.iter().rev() {
        out.write_all(line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hello_rust: {e}");
            ExitCode::from(1)
        }
    }
}
