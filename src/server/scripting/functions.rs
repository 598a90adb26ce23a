//! Function libraries (FUNCTION LOAD, FCALL): a library is Lua code with a
//! `#!lua name=<lib>` first line whose top level calls
//! `redis.register_function`; its functions live in one interpreter shared
//! by all libraries. Libraries persist in the RDB (opcode 245, the code
//! only) and in FUNCTION DUMP payloads.

use std::collections::BTreeMap;

use mlua::{Function, Lua, MultiValue, Value};

use super::{LOADING, Vm, lua_message, raise, script_flags};

/// One registered function.
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub function: Function,
}

/// One library.
#[derive(Default)]
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// All libraries and the interpreter that runs them.
pub struct Functions {
    pub vm: Vm,
    pub libraries: BTreeMap<String, Library>,
    /// Function name in lowercase → library name.
    pub index: BTreeMap<String, String>,
    /// The keyspace's `functions_version` these libraries were built from.
    pub synced_version: u64,
}

impl Default for Functions {
    fn default() -> Self {
        Self::new()
    }
}

/// Letters, digits and underscores, at least one.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The library name a library's code declares, if its metadata is valid.
pub fn library_name(code: &[u8]) -> Option<String> {
    metadata(code).ok().map(|(_, name)| name)
}

/// The library name of `#!lua name=<lib>` and where the code starts.
fn metadata(code: &[u8]) -> Result<(String, String), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".to_owned());
    }
    let Some(end) = memchr::memchr(b'\n', code) else {
        return Err("Invalid library metadata".to_owned());
    };
    // Split as Redis splits it (sdssplitargs): `name="foo"` is foo.
    let Some(words) = crate::resp::request::split_args(&code[..end]) else {
        return Err("Invalid library metadata".to_owned());
    };
    let parts: Vec<String> = words
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if parts.is_empty() {
        return Err("Invalid library metadata".to_owned());
    }
    let engine = parts[0][2..].to_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".to_owned(),
                );
            }
            name = Some(part[5..].to_owned());
            continue;
        }
        return Err(format!("Invalid metadata value given: {part}"));
    }
    let Some(name) = name else {
        return Err("Library name was not given".to_owned());
    };
    Ok((engine, name))
}

/// The library name of valid metadata naming a known engine, checked in
/// Redis's order (metadata, name, engine).
fn checked_metadata(code: &[u8]) -> Result<String, String> {
    let (engine, name) = metadata(code)?;
    if !valid_name(name.as_bytes()) {
        return Err(BAD_NAME.to_owned());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok(name)
}

impl Functions {
    pub fn new() -> Functions {
        Functions {
            vm: Vm::new(true).expect("the Lua interpreter starts"),
            libraries: BTreeMap::new(),
            index: BTreeMap::new(),
            synced_version: 0,
        }
    }

    /// FUNCTION FLUSH: no libraries, a fresh interpreter.
    pub fn flush(&mut self) {
        self.libraries.clear();
        self.index.clear();
        if let Ok(vm) = Vm::new(true) {
            self.vm = vm;
        }
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    /// Compile and run a library's code, collecting its functions.
    fn compile(&self, code: &[u8]) -> Result<Library, String> {
        let name = checked_metadata(code)?;
        let end = memchr::memchr(b'\n', code).unwrap_or(code.len());
        let chunk = self
            .vm
            .lua
            .load(&code[end..])
            .set_name("@user_function")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.vm.env.clone())
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", lua_message(&e)))?;
        let mut library = Library {
            name,
            code: code.to_vec(),
            functions: BTreeMap::new(),
        };
        let _ = self.vm.set_loading.call::<()>(true);
        LOADING.with(|l| l.set(&mut library as *mut Library));
        let started = std::time::Instant::now();
        let _ = self.vm.lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(100_000),
            move |_, _| {
                if started.elapsed().as_millis() > 500 {
                    Err(raise("FUNCTION LOAD timeout"))
                } else {
                    Ok(mlua::VmState::Continue)
                }
            },
        );
        let outcome = self.vm.run_load.call::<(bool, Value)>(chunk);
        self.vm.lua.remove_hook();
        self.vm.busy_hook.set(false);
        LOADING.with(|l| l.set(std::ptr::null_mut()));
        let _ = self.vm.set_loading.call::<()>(false);
        match outcome {
            Ok((true, _)) => {}
            Ok((false, Value::Table(t))) => {
                let msg = match t.raw_get::<Value>("err") {
                    Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    _ => String::new(),
                };
                return Err(format!("Error registering functions: {msg}"));
            }
            Ok((false, _)) => return Err("Error registering functions: ".to_owned()),
            Err(e) => return Err(format!("Error registering functions: {}", lua_message(&e))),
        }
        if library.functions.is_empty() {
            return Err("No functions registered".to_owned());
        }
        Ok(library)
    }

    /// FUNCTION LOAD: the library's name.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let name = checked_metadata(code)?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        let library = self.compile(code)?;
        for f in library.functions.keys() {
            if let Some(owner) = self.index.get(&f.to_ascii_lowercase())
                && *owner != library.name
            {
                return Err(format!("Function {f} already exists"));
            }
        }
        self.remove(&library.name);
        self.insert(library);
        Ok(name)
    }

    fn insert(&mut self, library: Library) {
        for f in library.functions.keys() {
            self.index
                .insert(f.to_ascii_lowercase(), library.name.clone());
        }
        self.libraries.insert(library.name.clone(), library);
    }

    /// FUNCTION DELETE: whether the library existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(library) = self.libraries.remove(name) else {
            return false;
        };
        for f in library.functions.keys() {
            self.index.remove(&f.to_ascii_lowercase());
        }
        true
    }

    /// A function by name, in any case (Redis's function names are
    /// case-insensitive).
    pub fn find(&self, function: &str) -> Option<&FunctionInfo> {
        let lib = self.index.get(&function.to_ascii_lowercase())?;
        let functions = &self.libraries.get(lib)?.functions;
        functions.get(function).or_else(|| {
            functions
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(function))
                .map(|(_, f)| f)
        })
    }

    /// Load many libraries at once (FUNCTION RESTORE, RDB load): all or
    /// nothing. `policy`: replace existing libraries of the same name,
    /// or flush everything first.
    pub fn restore(&mut self, codes: &[Vec<u8>], policy: Restore) -> Result<(), String> {
        let mut compiled = Vec::new();
        for code in codes {
            compiled.push(self.compile(code)?);
        }
        // Check collisions against what remains.
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for lib in &compiled {
            if policy == Restore::Append && self.libraries.contains_key(&lib.name) {
                return Err(format!("Library {} already exists", lib.name));
            }
            for f in lib.functions.keys() {
                if let Some(other) = names.insert(f.to_ascii_lowercase(), lib.name.clone())
                    && other != lib.name
                {
                    return Err(format!("Function {f} already exists"));
                }
            }
        }
        if policy != Restore::Flush {
            for (f, lib) in &names {
                if let Some(owner) = self.index.get(f) {
                    let replaced =
                        policy == Restore::Replace && compiled.iter().any(|l| l.name == *owner);
                    if *owner != *lib && !replaced {
                        return Err(format!("Function {f} already exists"));
                    }
                }
            }
        }
        if policy == Restore::Flush {
            self.libraries.clear();
            self.index.clear();
        }
        for lib in compiled {
            self.remove(&lib.name.clone());
            self.insert(lib);
        }
        Ok(())
    }

    /// The library codes, in name order (RDB, FUNCTION DUMP).
    pub fn codes(&self) -> Vec<&[u8]> {
        self.libraries.values().map(|l| l.code.as_slice()).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    Flush,
    Append,
    Replace,
}

fn string_of(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Number(n) => Some(crate::server::numeric::format_g17(*n).into_bytes()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

/// redis.register_function(name, callback) or
/// redis.register_function{function_name=..., callback=..., flags={...},
/// description=...}.
pub fn register_function(_lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    let lib = LOADING.with(|l| l.get());
    if lib.is_null() {
        return Err(raise(
            "redis.register_function can only be called on FUNCTION LOAD command",
        ));
    }
    // SAFETY: LOADING points at the library `Functions::compile` is
    // filling, on its stack, for the duration of the load call.
    let lib = unsafe { &mut *lib };
    if args.is_empty() || args.len() > 2 {
        return Err(raise(
            "wrong number of arguments to redis.register_function",
        ));
    }
    let (name, function, flags, description) = if args.len() == 1 {
        let Value::Table(t) = &args[0] else {
            return Err(raise(
                "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            ));
        };
        let mut name = None;
        let mut function = None;
        let mut flags = 0;
        let mut description = None;
        for pair in t.pairs::<Value, Value>() {
            let (k, v) = pair?;
            let Some(key) = string_of(&k) else {
                return Err(raise(
                    "named argument key given to redis.register_function is not a string",
                ));
            };
            let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
            match key.as_str() {
                "function_name" => {
                    name = Some(string_of(&v).ok_or_else(|| {
                        raise("function_name argument given to redis.register_function must be a string")
                    })?);
                }
                "description" => {
                    description = Some(string_of(&v).ok_or_else(|| {
                        raise("description argument given to redis.register_function must be a string")
                    })?);
                }
                "callback" => {
                    let Value::Function(f) = v else {
                        return Err(raise(
                            "callback argument given to redis.register_function must be a function",
                        ));
                    };
                    function = Some(f);
                }
                "flags" => {
                    let Value::Table(list) = v else {
                        return Err(raise(
                            "flags argument to redis.register_function must be a table representing function flags",
                        ));
                    };
                    for i in 1.. {
                        let item: Value = list.raw_get(i)?;
                        if item.is_nil() {
                            break;
                        }
                        let Some(text) = string_of(&item) else {
                            return Err(raise("unknown flag given"));
                        };
                        let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
                        let Some(&(bit, _)) = script_flags::NAMES.iter().find(|(_, n)| *n == text)
                        else {
                            return Err(raise("unknown flag given"));
                        };
                        flags |= bit;
                    }
                }
                _ => {
                    return Err(raise("unknown argument given to redis.register_function"));
                }
            }
        }
        let Some(name) = name else {
            return Err(raise(
                "redis.register_function must get a function name argument",
            ));
        };
        let Some(function) = function else {
            return Err(raise(
                "redis.register_function must get a callback argument",
            ));
        };
        (name, function, flags, description)
    } else {
        let Some(name) = string_of(&args[0]) else {
            return Err(raise(
                "first argument to redis.register_function must be a string",
            ));
        };
        let Value::Function(f) = &args[1] else {
            return Err(raise(
                "second argument to redis.register_function must be a function",
            ));
        };
        (name, f.clone(), 0, None)
    };
    if !valid_name(&name) {
        return Err(raise(BAD_NAME));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    if lib.functions.contains_key(&name) {
        return Err(raise("Function already exists in the library"));
    }
    lib.functions.insert(
        name.clone(),
        FunctionInfo {
            name,
            description,
            flags,
            function,
        },
    );
    Ok(())
}
