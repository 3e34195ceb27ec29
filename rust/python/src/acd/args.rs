//! Python arguments of the engine, extracted into owned Rust values.
//!
//! Bad types and out-of-range values become `EngineConfigError` (`EngineTimeError` for
//! times, `EngineParameterError` for attached data) with
//! the argument's name, never a `TypeError` from deep inside or a panic.

use callroute_core::acd::{AgentConfig, CallSpec, QueueConfig, StepConfig, Strategy};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyString};

use super::values::DataValue;
use crate::errors::{config_error, new_err, Class};

#[cold]
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// A time in seconds: any real number but a bool (NaN and range are the engine's to judge).
#[inline]
pub fn time(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    time_or(obj, name, Class::EngineTime)
}

/// [`time`], refused with an error of class `c` (the dialer's times: `DialerTimeError`).
#[inline]
pub fn time_or(obj: &Bound<'_, PyAny>, name: &str, c: Class) -> PyResult<f64> {
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return Ok(f.value());
    }
    real(obj).ok_or_else(|| {
        new_err(
            obj.py(),
            c,
            format!(
                "{name} must be a real number of seconds, got {}",
                type_name(obj)
            ),
        )
    })
}

/// A real number: not a bool or a str.
pub fn real(obj: &Bound<'_, PyAny>) -> Option<f64> {
    if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyString>() {
        return None;
    }
    obj.extract::<f64>().ok()
}

/// A configuration number of seconds (or other real).
pub fn number(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    real(obj).ok_or_else(|| {
        config_error(
            obj.py(),
            format!("{name} must be a real number, got {}", type_name(obj)),
        )
    })
}

/// An id or a name: a `str` of valid Unicode text (a lone surrogate, which no UTF-8 text
/// can hold, is refused by name like a wrong type), else a `ConfigError`.
#[inline]
pub fn text<'a>(obj: &'a Bound<'_, PyAny>, name: &str) -> PyResult<&'a str> {
    text_or(obj, name, Class::EngineConfig)
}

/// [`text`], refused with an error of class `c`.
#[inline]
pub fn text_or<'a>(obj: &'a Bound<'_, PyAny>, name: &str, c: Class) -> PyResult<&'a str> {
    match obj.cast::<PyString>() {
        Ok(s) => s.to_str().map_err(|_| not_text(s, name, c)),
        Err(_) => Err(new_err(
            obj.py(),
            c,
            format!("{name} must be a str, got {}", type_name(obj)),
        )),
    }
}

#[cold]
fn not_text(s: &Bound<'_, PyString>, name: &str, c: Class) -> PyErr {
    // the first code point that UTF-8 cannot hold (a surrogate), for the message
    let index = s.try_iter().ok().and_then(|chars| {
        chars.enumerate().find_map(|(i, c)| {
            let c = c.ok()?;
            c.cast::<PyString>().ok()?.to_str().is_err().then_some(i)
        })
    });
    let at = index.map_or_else(String::new, |i| format!(" at index {i}"));
    new_err(
        s.py(),
        c,
        format!("{name} must be valid Unicode text: it holds a lone surrogate{at}"),
    )
}

/// An integer in `min..=max`: anything with `__index__` (numpy integers too); bools and
/// floats refused.
pub fn int(obj: &Bound<'_, PyAny>, name: &str, min: i64, max: i64) -> PyResult<i64> {
    int_or(obj, name, min, max, Class::EngineConfig)
}

/// [`int`], refused with an error of class `c`.
pub fn int_or(obj: &Bound<'_, PyAny>, name: &str, min: i64, max: i64, c: Class) -> PyResult<i64> {
    let value = if !obj.is_instance_of::<PyBool>() && !obj.is_instance_of::<PyFloat>() {
        obj.extract::<i64>().ok()
    } else {
        None
    };
    match value {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(new_err(
            obj.py(),
            c,
            format!(
                "{name} must be an integer from {min} to {max}, got {}",
                obj.repr()
                    .map_or_else(|_| type_name(obj), |r| r.to_string())
            ),
        )),
    }
}

/// A `bool`.
pub fn flag(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    match obj.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(config_error(
            obj.py(),
            format!("{name} must be a bool, got {}", type_name(obj)),
        )),
    }
}

/// The `(key, value)` pairs of a mapping, in its order.
fn items<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    items_or(obj, name, Class::EngineConfig)
}

/// [`items`], refused with an error of class `c`.
fn items_or<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    c: Class,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    if let Ok(d) = obj.cast::<PyDict>() {
        return Ok(d.iter().collect());
    }
    let bad = || {
        new_err(
            obj.py(),
            c,
            format!("{name} must be a mapping, got {}", type_name(obj)),
        )
    };
    let pairs = obj.call_method0("items").map_err(|_| bad())?;
    let mut out = Vec::new();
    for pair in pairs.try_iter().map_err(|_| bad())? {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = pair?.extract().map_err(|_| bad())?;
        out.push((k, v));
    }
    Ok(out)
}

/// Skills: a mapping of skill name to level, an integer from 0 to 255.
pub fn skills(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<(String, u8)>> {
    items(obj, name)?
        .iter()
        .map(|(k, v)| {
            let skill = text(k, &format!("{name} keys"))?;
            let level = int(v, &format!("{name}[{skill:?}]"), 0, 255)?;
            Ok((skill.to_owned(), level as u8))
        })
        .collect()
}

/// Capacity: a mapping of media to a number of simultaneous tasks.
pub fn capacity(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<(String, u32)>> {
    items(obj, name)?
        .iter()
        .map(|(k, v)| {
            let media = text(k, &format!("{name} keys"))?;
            let n = int(v, &format!("{name}[{media:?}]"), 0, i64::from(u32::MAX))?;
            Ok((media.to_owned(), n as u32))
        })
        .collect()
}

/// Attached data: a mapping of str to str, int, float or bool, each value encoded as the
/// core's text ([`DataValue`]). Any problem is a `ParameterError` naming the entry.
pub fn data(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<(String, String)>> {
    items_or(obj, name, Class::EngineParameter)?
        .iter()
        .map(|(k, v)| {
            let key = text_or(k, &format!("{name} keys"), Class::EngineParameter)?;
            let place = format!("{name}[{key:?}]");
            let value = DataValue::extract(v).map_err(|why| {
                new_err(obj.py(), Class::EngineParameter, format!("{place} {why}"))
            })?;
            Ok((key.to_owned(), value.encode()))
        })
        .collect()
}

/// A sequence of names (a bare `str` is refused: it is not a list of its letters).
pub fn names(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    let bad = || {
        config_error(
            obj.py(),
            format!("{name} must be a sequence of str, got {}", type_name(obj)),
        )
    };
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyDict>() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (i, item) in obj.try_iter().map_err(|_| bad())?.enumerate() {
        out.push(text(&item?, &format!("{name}[{i}]"))?.to_owned());
    }
    Ok(out)
}

/// Keyword options: taken one by one, the rest refused by name. `None` means "default".
pub struct Options<'py> {
    dict: Option<Bound<'py, PyDict>>,
    func: &'static str,
}

impl<'py> Options<'py> {
    /// A private copy of `kwargs` (the caller's dict is left alone).
    pub fn new(kwargs: Option<&Bound<'py, PyDict>>, func: &'static str) -> PyResult<Self> {
        Ok(Self {
            dict: kwargs.map(|d| d.copy()).transpose()?,
            func,
        })
    }

    pub fn take(&mut self, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(d) = &self.dict else { return Ok(None) };
        let v = d.get_item(key)?;
        if v.is_some() {
            d.del_item(key)?;
        }
        Ok(v.filter(|v| !v.is_none()))
    }

    /// Refuse any option not taken.
    pub fn finish(self, py: Python<'_>) -> PyResult<()> {
        let Some(d) = self.dict else { return Ok(()) };
        match d.keys().iter().next() {
            None => Ok(()),
            Some(k) => Err(config_error(
                py,
                format!(
                    "{}() got an unexpected keyword argument {:?}",
                    self.func,
                    k.str()?.to_string()
                ),
            )),
        }
    }
}

const STEP_KEYS: [&str; 4] = ["after", "skills", "also_queues", "priority"];

fn step(obj: &Bound<'_, PyAny>, place: &str) -> PyResult<StepConfig> {
    let py = obj.py();
    let mut config = StepConfig::default();
    let mut after = None;
    for (k, v) in items(obj, place)? {
        let key = text(&k, &format!("{place} keys"))?;
        let at = format!("{place}.{key}");
        match key {
            "after" => after = Some(number(&v, &at)?),
            "skills" if !v.is_none() => config.skills = Some(skills(&v, &at)?),
            "skills" => {}
            "also_queues" => config.also_queues = names(&v, &at)?,
            "priority" => {
                config.priority_boost = int(&v, &at, i32::MIN.into(), i32::MAX.into())? as i32
            }
            _ => {
                return Err(config_error(
                    py,
                    format!("{at}: unknown key; a step takes {}", STEP_KEYS.join(", ")),
                ))
            }
        }
    }
    config.after = after.ok_or_else(|| config_error(py, format!("{place}.after is required")))?;
    Ok(config)
}

/// `add_queue(name, **options)`.
pub fn queue_config(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    mut o: Options<'_>,
) -> PyResult<QueueConfig> {
    let name = text(name, "name")?;
    let mut c = QueueConfig::new(name, "default");
    let place = |field: &str| format!("queue {name:?}: {field}");
    if let Some(v) = o.take("tenant")? {
        c.tenant = text(&v, &place("tenant"))?.to_owned();
    }
    if let Some(v) = o.take("media")? {
        c.media = text(&v, &place("media"))?.to_owned();
    }
    if let Some(v) = o.take("skills")? {
        c.skills = skills(&v, &place("skills"))?;
    }
    if let Some(v) = o.take("strategy")? {
        c.strategy = Strategy::parse(text(&v, &place("strategy"))?)
            .map_err(|e| config_error(py, format!("queue {name:?}: {e}")))?;
    }
    for (key, slot) in [
        ("sl_threshold", &mut c.sl_threshold),
        ("short_abandon", &mut c.short_abandon),
        ("wrapup", &mut c.wrapup),
        ("offer_timeout", &mut c.offer_timeout),
        ("retry", &mut c.retry),
        ("aging", &mut c.aging),
        ("expected_aht", &mut c.expected_aht),
    ] {
        if let Some(v) = o.take(key)? {
            *slot = number(&v, &place(key))?;
        }
    }
    if let Some(v) = o.take("max_wait")? {
        c.max_wait = Some(number(&v, &place("max_wait"))?);
    }
    if let Some(v) = o.take("overflow")? {
        c.overflow = Some(text(&v, &place("overflow"))?.to_owned());
    }
    if let Some(v) = o.take("steps")? {
        let bad = || {
            config_error(
                py,
                format!("{} must be a sequence of mappings", place("steps")),
            )
        };
        if v.is_instance_of::<PyString>() || v.is_instance_of::<PyDict>() {
            return Err(bad());
        }
        for (i, s) in v.try_iter().map_err(|_| bad())?.enumerate() {
            c.steps.push(step(&s?, &place(&format!("steps[{i}]")))?);
        }
    }
    if let Some(v) = o.take("weight")? {
        c.weight = int(&v, &place("weight"), i32::MIN.into(), i32::MAX.into())? as i32;
    }
    if let Some(v) = o.take("max_no_answer")? {
        c.max_no_answer = int(&v, &place("max_no_answer"), 0, u32::MAX.into())? as u32;
    }
    if let Some(v) = o.take("join_empty")? {
        c.join_empty = flag(&v, &place("join_empty"))?;
    }
    if let Some(v) = o.take("leave_when_empty")? {
        c.leave_when_empty = flag(&v, &place("leave_when_empty"))?;
    }
    if let Some(v) = o.take("shared_with")? {
        c.shared_with = names(&v, &place("shared_with"))?;
    }
    o.finish(py)?;
    Ok(c)
}

/// `add_agent(name, **options)`.
pub fn agent_config(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    mut o: Options<'_>,
) -> PyResult<AgentConfig> {
    let name = text(name, "name")?;
    let mut c = AgentConfig::new(name, "default");
    let place = |field: &str| format!("agent {name:?}: {field}");
    if let Some(v) = o.take("tenant")? {
        c.tenant = text(&v, &place("tenant"))?.to_owned();
    }
    if let Some(v) = o.take("skills")? {
        c.skills = skills(&v, &place("skills"))?;
    }
    if let Some(v) = o.take("capacity")? {
        c.capacity = capacity(&v, &place("capacity"))?;
    }
    if let Some(v) = o.take("exclusive")? {
        c.exclusive = names(&v, &place("exclusive"))?;
    }
    if let Some(v) = o.take("weight")? {
        c.weight = number(&v, &place("weight"))?;
    }
    if let Some(v) = o.take("auto_answer")? {
        c.auto_answer = flag(&v, &place("auto_answer"))?;
    }
    o.finish(py)?;
    Ok(c)
}

/// The options of `call_arrived`, each `None` when not given.
#[derive(Default)]
pub struct CallOptions<'a, 'py> {
    pub queue: Option<&'a Bound<'py, PyAny>>,
    pub skills: Option<&'a Bound<'py, PyAny>>,
    pub priority: Option<&'a Bound<'py, PyAny>>,
    pub media: Option<&'a Bound<'py, PyAny>>,
    pub tenant: Option<&'a Bound<'py, PyAny>>,
    pub data: Option<&'a Bound<'py, PyAny>>,
}

/// `call_arrived(call, now, **options)` as a core call spec.
pub fn call_spec(call: &Bound<'_, PyAny>, o: &CallOptions<'_, '_>) -> PyResult<CallSpec> {
    let mut spec = CallSpec {
        id: text(call, "call")?.to_owned(),
        ..CallSpec::default()
    };
    if let Some(v) = o.queue {
        spec.queue = Some(text(v, "queue")?.to_owned());
    }
    if let Some(v) = o.skills {
        spec.skills = Some(skills(v, "skills")?);
    }
    if let Some(v) = o.priority {
        spec.priority = int(v, "priority", i32::MIN.into(), i32::MAX.into())? as i32;
    }
    if let Some(v) = o.media {
        spec.media = Some(text(v, "media")?.to_owned());
    }
    if let Some(v) = o.tenant {
        spec.tenant = Some(text(v, "tenant")?.to_owned());
    } else if spec.skills.is_some() {
        // skills-routed calls belong to a tenant; the same default as agents and queues
        spec.tenant = Some("default".to_owned());
    }
    if let Some(v) = o.data {
        spec.data = data(v, "data")?;
    }
    Ok(spec)
}
