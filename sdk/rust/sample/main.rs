//! The Rust SDK's sample: for each file of a folder (an item {"Key","Size",…} of a folder
//! source), writes an upper-cased copy to the output location as <Key>.upper and responds
//! {"key":<Key>,"bytes":<size>}.
//!
//!   sdk/rust/build.sh sample/main.rs upper.wasm
//!   wasmap run -f upper.wasm -i some/folder/ --output-prefix out/

use std::io::{Read, Write};

use wasmap::lambda::{self, Context, Error};
use wasmap::{json, log, object};

fn handle(item: &[u8], _ctx: &Context) -> Result<String, Error> {
    let key = json::get(item, "Key")
        .and_then(json::string)
        .ok_or_else(|| Error::new("MissingKeyError", "the item has no Key: run over a folder"))?;
    let mut text = Vec::new();
    object::open(&key)?.read_to_end(&mut text)?;
    text.make_ascii_uppercase();
    let mut w = object::create_output(&(key.clone() + ".upper"))?;
    w.write_all(&text)?;
    w.close()?; // the object appears only now
    log::info(&format!("{}: {} bytes", key, text.len()));
    Ok(format!("{{\"bytes\":{},\"key\":{}}}", text.len(), json::quote(&key)))
}

fn main() {
    lambda::start(handle)
}
