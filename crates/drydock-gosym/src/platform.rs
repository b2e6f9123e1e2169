//! A binary's `GOOS`/`GOARCH` from its object header, for Go binaries whose build info does
//! not record them (Go before 1.18 wrote no `build` settings).

use object::{Architecture, BinaryFormat, Endianness, FileFlags, Object};

/// `GOOS` and `GOARCH` as Go spells them; `None` where the header does not tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Platform {
    pub goos: Option<&'static str>,
    pub goarch: Option<&'static str>,
}

/// ELF `EI_OSABI` of FreeBSD (Go's linker sets it for `GOOS=freebsd`).
const ELFOSABI_FREEBSD: u8 = 9;

/// The platform an ELF, Mach-O or PE header says the binary is for. PE is `windows`,
/// Mach-O `darwin`; an ELF file only names its OS through FreeBSD's `EI_OSABI` or the
/// NetBSD/OpenBSD note sections, so a Linux ELF has no `goos` here (a guess could wrongly
/// drop a finding).
pub fn platform(binary: &[u8]) -> Platform {
    let Ok(f) = object::File::parse(binary) else {
        return Platform::default();
    };
    let big = f.endianness() == Endianness::Big;
    let goarch = match f.architecture() {
        Architecture::X86_64 => Some("amd64"),
        Architecture::I386 => Some("386"),
        Architecture::Aarch64 => Some("arm64"),
        Architecture::Arm => Some("arm"),
        Architecture::S390x => Some("s390x"),
        Architecture::PowerPc64 if big => Some("ppc64"),
        Architecture::PowerPc64 => Some("ppc64le"),
        Architecture::Riscv64 => Some("riscv64"),
        Architecture::Mips if big => Some("mips"),
        Architecture::Mips => Some("mipsle"),
        Architecture::Mips64 if big => Some("mips64"),
        Architecture::Mips64 => Some("mips64le"),
        Architecture::LoongArch64 => Some("loong64"),
        Architecture::Wasm32 => Some("wasm"),
        _ => None,
    };
    let goos = match f.format() {
        BinaryFormat::Pe => Some("windows"),
        BinaryFormat::MachO => Some("darwin"),
        BinaryFormat::Elf => match f.flags() {
            FileFlags::Elf { os_abi, .. } if os_abi == object::elf::OsAbi(ELFOSABI_FREEBSD) => {
                Some("freebsd")
            }
            _ if f.section_by_name(".note.netbsd.ident").is_some() => Some("netbsd"),
            _ if f.section_by_name(".note.openbsd.ident").is_some() => Some("openbsd"),
            _ => None,
        },
        _ => None,
    };
    Platform { goos, goarch }
}
