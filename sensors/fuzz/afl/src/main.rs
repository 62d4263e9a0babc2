//! `kestrel-fuzz-afl TARGET`: one of kestrel-fuzz's targets under AFL++, in persistent mode
//! (`cargo afl fuzz -i seeds -o findings target/.../kestrel-fuzz-afl TARGET`).

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = kestrel_fuzz::target(&name) else {
        let all: Vec<&str> = kestrel_fuzz::TARGETS.iter().map(|t| t.name).collect();
        eprintln!("usage: kestrel-fuzz-afl TARGET (one of {})", all.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        (target.run)(data);
    });
}
