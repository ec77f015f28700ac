//! The rule language as implemented: precedence, every operator, lists and macros, exceptions,
//! appends and overrides, outputs, priorities, sources and limits.

use std::borrow::Cow;

use bulwark_rules::{
    Code, ErrorCode, Event, EventTypeId, Field, FieldArg, Limits, OutputOptions, Priority,
    RuleFile, RuleSet, RuleStatus, Source, Value, WarningCode, check_bytes, load,
};

/// An event given as a table of field values.
#[derive(Default)]
struct MapEvent {
    source: Option<Source>,
    ty: &'static str,
    time: u64,
    fields: Vec<(Field, Option<FieldArg>, Value<'static>)>,
}

impl MapEvent {
    fn new(ty: &'static str) -> MapEvent {
        MapEvent {
            ty,
            time: 1_470_327_477_881_781_397,
            ..MapEvent::default()
        }
    }
    fn k8s() -> MapEvent {
        MapEvent {
            source: Some(Source::K8sAudit),
            ..MapEvent::new("")
        }
    }
    fn set(mut self, f: Field, v: Value<'static>) -> MapEvent {
        self.fields.push((f, None, v));
        self
    }
    fn s(self, f: Field, v: &'static str) -> MapEvent {
        self.set(f, Value::Str(Cow::Borrowed(v)))
    }
    fn arg(mut self, f: Field, a: FieldArg, v: &'static str) -> MapEvent {
        self.fields.push((f, Some(a), Value::Str(Cow::Borrowed(v))));
        self
    }
}

impl Event for MapEvent {
    fn source(&self) -> Source {
        self.source.unwrap_or(Source::Syscall)
    }
    fn event_type(&self) -> EventTypeId {
        EventTypeId::from_name(self.ty).unwrap_or(EventTypeId::NONE)
    }
    fn field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'_>> {
        if field == Field::EvtType {
            return Some(Value::str(self.ty));
        }
        self.fields
            .iter()
            .find(|(f, a, _)| *f == field && a.as_ref() == arg)
            .map(|(_, _, v)| v.clone())
    }
    fn time_ns(&self) -> u64 {
        self.time
    }
}

fn load_str(yaml: &str) -> bulwark_rules::LoadResult {
    load(
        &[RuleFile {
            name: "t.yaml",
            content: yaml.as_bytes(),
        }],
        &Limits::default(),
    )
}

fn rules(yaml: &str) -> RuleSet {
    let r = load_str(yaml);
    let errors: Vec<String> = r.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    r.ruleset.expect("rule set")
}

fn fired(rs: &RuleSet, ev: &MapEvent) -> Vec<String> {
    let mut ids = Vec::new();
    rs.all_matches(ev, &mut ids);
    ids.iter().map(|i| rs.rule(*i).name.clone()).collect()
}

/// Whether `condition` holds for `ev`.
fn holds(condition: &str, ev: &MapEvent) -> bool {
    let src = if ev.source == Some(Source::K8sAudit) {
        "k8s_audit"
    } else {
        "syscall"
    };
    let yaml = format!(
        "- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n  source: {src}\n  warn_evttypes: false\n",
        serde_json::to_string(condition).expect("quote")
    );
    let rs = rules(&yaml);
    !fired(&rs, ev).is_empty()
}

/// The first error of loading `condition` in a rule.
fn cond_error(condition: &str) -> (Code, String) {
    let yaml = format!(
        "- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n",
        serde_json::to_string(condition).expect("quote")
    );
    let r = load_str(&yaml);
    let e = r
        .errors()
        .next()
        .unwrap_or_else(|| panic!("{condition} loads"));
    (e.code, e.message.clone())
}

fn cat() -> MapEvent {
    MapEvent::new("open")
        .s(Field::ProcName, "cat")
        .s(Field::ProcCmdline, "cat /dev/null")
        .s(Field::FdName, "/dev/null")
        .set(Field::ProcPid, Value::Int(42))
        .set(Field::FdSport, Value::Uint(443))
        .set(Field::ContainerPrivileged, Value::Bool(true))
        .set(Field::FdSip, Value::Ip("10.1.2.3".parse().expect("ip")))
        .set(Field::FdSnet, Value::Ip("10.1.2.3".parse().expect("ip")))
        .set(
            Field::ProcAname,
            Value::List(vec![
                Value::str("bash"),
                Value::str("sshd"),
                Value::str("systemd"),
            ]),
        )
        .arg(Field::ProcAname, FieldArg::Index(1), "bash")
        .arg(
            Field::EvtArg,
            FieldArg::Key("flags".into()),
            "O_RDONLY|O_CLOEXEC",
        )
}

#[test]
fn and_binds_tighter_than_or_and_not_tighter_than_and() {
    let ev = cat();
    assert!(holds("proc.name=cat or proc.name=x and proc.name=y", &ev));
    assert!(!holds(
        "(proc.name=cat or proc.name=x) and proc.name=y",
        &ev
    ));
    assert!(!holds("not proc.name=cat and proc.name=cat", &ev));
    assert!(holds("not (proc.name=x and proc.name=cat)", &ev));
    assert!(holds("not not proc.name=cat", &ev));
    assert!(holds("not(proc.name=x)", &ev));
}

#[test]
fn string_operators() {
    let ev = cat();
    let cases = [
        ("proc.name = cat", true),
        ("proc.name == cat", true),
        ("proc.name = Cat", false),
        ("proc.name != cat", false),
        ("proc.cmdline contains /dev", true),
        ("proc.cmdline contains /DEV", false),
        ("proc.cmdline icontains /DEV", true),
        ("proc.cmdline startswith cat", true),
        ("proc.cmdline startswith dev", false),
        ("proc.cmdline endswith null", true),
        ("proc.cmdline bcontains 2f646576", true),
        ("proc.cmdline bstartswith 636174", true),
        ("proc.cmdline bstartswith 646576", false),
        ("fd.name glob '/dev/*'", true),
        ("fd.name glob '/DEV/*'", false),
        ("fd.name iglob '/DEV/*'", true),
        ("fd.name glob '/dev/n?ll'", true),
        ("fd.name pmatch (/dev, /tmp)", true),
        ("fd.name pmatch (/de)", false),
        ("fd.name in (/dev/null, /dev/zero)", true),
        ("fd.name in (/dev/zero)", false),
        ("fd.name intersects (/dev/null)", true),
        ("fd.name exists", true),
        ("fd.directory exists", false),
        ("proc.cmdline regex 'cat /dev/[a-z]+'", true),
        ("proc.cmdline regex 'dev'", false),
        ("proc.name in (\"c a t\", cat)", true),
    ];
    for (c, want) in cases {
        assert_eq!(holds(c, &ev), want, "{c}");
    }
    // Falco's grammar takes only numbers after `<`, `<=`, `>`, `>=`.
    assert!(
        cond_error("proc.name < dog")
            .1
            .starts_with("expected a number value")
    );
}

#[test]
fn numeric_boolean_and_address_operators() {
    let ev = cat();
    let cases = [
        ("proc.pid = 42", true),
        ("proc.pid != 42", false),
        ("proc.pid < 43", true),
        ("proc.pid <= 41", false),
        ("proc.pid > 0x29", true),
        ("proc.pid >= 42", true),
        ("proc.pid in (1, 42)", true),
        ("fd.sport in (80, 8080)", false),
        ("fd.sport = 443", true),
        ("container.privileged = true", true),
        ("container.privileged = false", false),
        ("container.privileged != true", false),
        ("fd.sip = 10.1.2.3", true),
        ("fd.sip = \"10.0.0.0/8\"", true),
        ("fd.sip in (\"192.168.0.0/16\", \"172.16.0.0/12\")", false),
        ("fd.sip != 10.1.2.4", true),
        ("fd.snet = \"10.1.2.0/24\"", true),
        ("fd.snet != \"10.1.2.0/24\"", false),
    ];
    for (c, want) in cases {
        assert_eq!(holds(c, &ev), want, "{c}");
    }
}

#[test]
fn missing_values_make_every_comparison_false() {
    let ev = cat();
    assert!(!holds("proc.exepath = x", &ev));
    assert!(!holds("proc.exepath != x", &ev));
    assert!(!holds("proc.exepath exists", &ev));
    assert!(holds("not proc.exepath exists", &ev));
    assert!(holds("not proc.exepath = x", &ev));
}

#[test]
fn field_arguments_any_of_fields_and_val() {
    let ev = cat();
    assert!(holds("proc.aname[1] = bash", &ev));
    assert!(!holds("proc.aname[2] = bash", &ev));
    assert!(holds("proc.aname = sshd", &ev), "any ancestor");
    assert!(
        holds("proc.aname in (nginx, sshd)", &ev),
        "any ancestor in the set"
    );
    assert!(
        !holds("proc.aname != sshd", &ev),
        "!= holds only when no ancestor is equal"
    );
    assert!(holds("proc.aname != nginx", &ev));
    assert!(holds("evt.arg.flags contains O_RDONLY", &ev));
    assert!(holds("evt.arg[flags] contains O_CLOEXEC", &ev));
    assert!(holds("proc.name = val(proc.name)", &ev));
    assert!(!holds("proc.name = val(proc.cmdline)", &ev));
    assert!(holds("toupper(proc.name) = CAT", &ev));
    assert!(holds("basename(fd.name) = null", &ev));
}

#[test]
fn list_fields_in_means_all_intersects_means_any() {
    let ev = MapEvent::k8s().set(
        Field::KaReqPodContainersImageRepository,
        Value::List(vec![Value::str("nginx"), Value::str("busybox")]),
    );
    let f = "ka.req.pod.containers.image.repository";
    assert!(holds(&format!("{f} in (nginx, busybox, redis)"), &ev));
    assert!(!holds(&format!("{f} in (nginx)"), &ev));
    assert!(holds(&format!("{f} intersects (busybox)"), &ev));
    assert!(!holds(&format!("{f} intersects (redis)"), &ev));
    assert!(holds(&format!("{f} startswith busy"), &ev));
}

#[test]
fn evt_type_checks_select_the_events_a_rule_sees() {
    let rs = rules(
        "- rule: opens\n  desc: d\n  condition: evt.type in (open, openat) and proc.name=cat\n  output: o\n  priority: INFO\n\
         - rule: not_exec\n  desc: d\n  condition: evt.type!=execve and proc.name=cat\n  output: o\n  priority: INFO\n",
    );
    assert_eq!(rs.rules()[0].event_types.as_ref().map(Vec::len), Some(2));
    assert_eq!(fired(&rs, &cat()), ["opens", "not_exec"]);
    let mut exec = cat();
    exec.ty = "execve";
    assert!(fired(&rs, &exec).is_empty());
    let mut connect = cat();
    connect.ty = "connect";
    assert_eq!(fired(&rs, &connect), ["not_exec"]);
    assert_eq!(
        cond_error("evt.type = nosuchcall"),
        (
            Code::Error(ErrorCode::LOAD_ERR_COMPILE_CONDITION),
            "unknown event type nosuchcall".into()
        )
    );
}

#[test]
fn lists_nest_and_expand_and_macros_expand() {
    let rs = rules(
        r"
- list: cats
  items: [cat, tac]
- list: readers
  items: [cats, less, 'my reader']
- macro: is_reader
  condition: proc.name in (readers)
- macro: opens_null
  condition: is_reader and fd.name = /dev/null
- rule: r
  desc: d
  condition: evt.type = open and opens_null
  output: o
  priority: INFO
",
    );
    assert_eq!(fired(&rs, &cat()), ["r"]);
    let r = load_str(
        "- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: r\n  desc: d\n  condition: evt.type=open and a\n  output: o\n  priority: INFO\n",
    );
    let e = r.errors().next().expect("a loop");
    assert_eq!(e.code, Code::Error(ErrorCode::LOAD_ERR_VALIDATE));
    assert!(
        e.message.contains("Undefined macro 'b'") || e.message.contains("reference loop"),
        "{e}"
    );
    assert_eq!(
        cond_error("evt.type=open and nosuchmacro"),
        (
            Code::Error(ErrorCode::LOAD_ERR_VALIDATE),
            "Undefined macro 'nosuchmacro' used in filter.".into()
        )
    );
}

#[test]
fn macro_expansion_is_bounded() {
    // Each macro uses the previous one twice: 2^40 nodes if expanded naively.
    let mut yaml = String::from("- macro: m0\n  condition: proc.name=a\n");
    for i in 1..40 {
        yaml.push_str(&format!(
            "- macro: m{i}\n  condition: (m{p} or m{p})\n",
            p = i - 1
        ));
    }
    yaml.push_str(
        "- rule: r\n  desc: d\n  condition: evt.type=open and m39\n  output: o\n  priority: INFO\n",
    );
    let r = load_str(&yaml);
    let e = r.errors().next().expect("too large");
    assert!(e.message.contains("too large"), "{e}");
}

#[test]
fn exceptions_compile_to_and_not_as_falco_does() {
    let rs = rules(
        r#"
- rule: Open From Cat
  desc: d
  condition: evt.type=open and proc.name=cat
  output: o
  priority: WARNING
  exceptions:
    - name: by_name_cmdline
      fields: [proc.name, proc.cmdline]
      comps: [=, startswith]
      values:
        - [tac, "tac /"]
    - name: by_file
      fields: fd.name
      values: [/dev/zero]
"#,
    );
    assert_eq!(
        rs.rules()[0].condition,
        r#"(evt.type=open and proc.name=cat) and not (( proc.name = tac and  proc.cmdline startswith "tac /")) and not (fd.name in (/dev/zero))"#
    );
    assert_eq!(fired(&rs, &cat()), ["Open From Cat"]);
    let rs = rules(
        r#"
- rule: Open From Cat
  desc: d
  condition: evt.type=open and proc.name=cat
  output: o
  priority: WARNING
  exceptions:
    - name: by_name_cmdline
      fields: [proc.name, proc.cmdline]
      comps: [=, startswith]
- rule: Open From Cat
  exceptions:
    - name: by_name_cmdline
      values:
        - [cat, "cat /dev"]
  append: true
"#,
    );
    assert!(
        fired(&rs, &cat()).is_empty(),
        "the appended exception value applies"
    );
}

#[test]
fn appends_and_overrides() {
    let rs = rules(
        r"
- list: names
  items: [dog]
- list: names
  items: [cat]
  override:
    items: append
- macro: m
  condition: proc.name=nobody
- macro: m
  condition: or fd.name=/dev/null
  override:
    condition: append
- rule: r
  desc: d
  condition: evt.type=open and proc.name in (names) and m
  output: first
  priority: INFO
  tags: [a]
- rule: r
  output: second %proc.name
  priority: CRITICAL
  tags: [b]
  override:
    output: replace
    priority: replace
    tags: append
",
    );
    let r = &rs.rules()[0];
    assert_eq!(r.priority, Priority::Critical);
    assert_eq!(r.tags, ["a", "b"]);
    let m = rs.evaluate(&cat()).expect("fires");
    assert_eq!(m.output, "second cat");
    let r = load_str(
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n- rule: r\n  output: x\n  override:\n    output: append\n  append: true\n",
    );
    assert_eq!(
        r.errors().next().expect("error").code,
        Code::Error(ErrorCode::LOAD_ERR_YAML_VALIDATE)
    );
    let r = load_str(
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  enabled: false\n",
    );
    assert_eq!(
        r.ruleset.expect("rs").rules()[0].status,
        RuleStatus::Disabled
    );
}

#[test]
fn outputs_substitute_fields_with_na_for_missing() {
    let rs = rules(
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: \"An open was seen (cport=%fd.cport command=%proc.cmdline flags=%evt.arg.flags a=%proc.aname[1])\"\n  priority: WARNING\n  tags: [b, a]\n",
    );
    let m = rs.evaluate(&cat()).expect("fires");
    assert_eq!(
        m.output,
        "An open was seen (cport=<NA> command=cat /dev/null flags=O_RDONLY|O_CLOEXEC a=bash)"
    );
    assert_eq!(m.output_fields["fd.cport"], serde_json::Value::Null);
    assert_eq!(m.output_fields["proc.aname[1]"], "bash");
    let a = m.to_alert(&OutputOptions {
        hostname: "h".into(),
        time_format_iso_8601: true,
    });
    assert_eq!(
        a.output,
        "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (cport=<NA> command=cat /dev/null flags=O_RDONLY|O_CLOEXEC a=bash)"
    );
    assert_eq!(a.time, "2016-08-04T16:17:57.881781397Z");
    assert_eq!(
        a.output_fields["evt.time.iso8601"],
        1_470_327_477_881_781_397_u64
    );
    assert_eq!(a.tags, ["a", "b"]);
    let line = serde_json::to_string(&a).expect("json");
    let back: bulwark_rules::Alert = serde_json::from_str(&line).expect("round trip");
    assert_eq!(back, a);
}

#[test]
fn priorities_are_case_insensitive_and_filter() {
    let mut rs = rules(
        "- rule: low\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n\
         - rule: high\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: Critical\n",
    );
    assert_eq!(rs.rules()[0].priority, Priority::Informational);
    rs.set_min_priority(Priority::Warning);
    assert_eq!(fired(&rs, &cat()), ["high"]);
    let r = load_str(
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: SEVERE\n",
    );
    let e = r.errors().next().expect("bad priority");
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            Code::Error(ErrorCode::LOAD_ERR_YAML_VALIDATE),
            "Invalid priority"
        )
    );
}

#[test]
fn unknown_fields_error_falco_only_fields_disable() {
    assert_eq!(
        cond_error("evt.type=open and proc.nobody=x"),
        (
            Code::Error(ErrorCode::LOAD_ERR_COMPILE_CONDITION),
            "filter_check called with nonexistent field proc.nobody".into()
        )
    );
    assert_eq!(
        cond_error("evt.type=open and ka.verb=get").1,
        "filter_check called with nonexistent field ka.verb",
        "fields of another source are unknown"
    );
    assert_eq!(
        cond_error("evt.type=open and proc.pid contains 4").0,
        Code::Error(ErrorCode::LOAD_ERR_COMPILE_CONDITION)
    );
    assert_eq!(
        cond_error("evt.type=open and proc.pid = abc").0,
        Code::Error(ErrorCode::LOAD_ERR_COMPILE_CONDITION)
    );
    let r = load_str(
        "- rule: r\n  desc: d\n  condition: evt.type=open and evt.buffer contains x\n  output: o\n  priority: INFO\n",
    );
    assert_eq!(r.errors().count(), 0);
    assert!(
        r.warnings()
            .any(|w| w.code == Code::Warning(WarningCode::LOAD_UNSUPPORTED_FIELD))
    );
    let rs = r.ruleset.expect("rs");
    assert_eq!(
        rs.rules()[0].status,
        RuleStatus::Unsupported(vec!["evt.buffer".into()])
    );
    assert!(fired(&rs, &cat()).is_empty());
}

#[test]
fn k8s_audit_rules_see_only_audit_events() {
    let rs = rules(
        "- rule: exec\n  desc: d\n  condition: ka.verb=create and ka.target.subresource=exec and jevt.value[/stage]=ResponseComplete\n  output: \"%ka.user.name exec %ka.target.name\"\n  priority: NOTICE\n  source: k8s_audit\n",
    );
    let ev = MapEvent::k8s()
        .s(Field::KaVerb, "create")
        .s(Field::KaTargetSubresource, "exec")
        .s(Field::KaUserName, "alice")
        .s(Field::KaTargetName, "web-1")
        .arg(
            Field::JevtValue,
            FieldArg::Key("/stage".into()),
            "ResponseComplete",
        );
    let m = rs.evaluate(&ev).expect("fires");
    assert_eq!(m.output, "alice exec web-1");
    assert!(rs.evaluate(&cat()).is_none());
}

#[test]
fn engine_and_plugin_versions() {
    assert_eq!(
        load_str("- required_engine_version: 0.57.0\n")
            .errors()
            .count(),
        0
    );
    assert_eq!(
        load_str("- required_engine_version: 10\n").errors().count(),
        0
    );
    let r = load_str("- required_engine_version: 0.58.0\n");
    assert_eq!(
        r.errors().next().expect("too new").message,
        "Rules require engine version 0.58.0, but engine version is 0.57.0"
    );
    let r = load_str(
        "- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.2.3\n  - name: k8saudit\n    version: 0.18.0\n",
    );
    assert_eq!(r.errors().count(), 0);
    let w: Vec<_> = r
        .warnings()
        .filter(|w| w.code == Code::Warning(WarningCode::LOAD_UNKNOWN_PLUGIN))
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].item_name, "cloudtrail");
}

#[test]
fn errors_carry_file_and_line() {
    let r = load_str(
        "- list: l\n  items: [a]\n- rule: r\n  desc: d\n  condition: evt.type=open and (proc.name=cat\n  output: o\n  priority: INFO\n",
    );
    let e = r.errors().next().expect("syntax error");
    assert_eq!(
        (e.file.as_str(), e.line, e.message.as_str()),
        ("t.yaml", 5, "expected a ')' token")
    );
    assert_eq!(e.item_name, "r");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        vec![0xff, 0xfe, 0x00],
        b"- rule: [".to_vec(),
        format!("- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n", "(".repeat(5000)).into_bytes(),
        format!("- rule: r\n  desc: d\n  condition: {}x.y=1\n  output: o\n  priority: INFO\n", "not ".repeat(5000)).into_bytes(),
        b"- macro: m\n  condition: m\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n".to_vec(),
        b"- rule: r\n  desc: d\n  condition: proc.name glob '[[[[[[[[*'\n  output: '%'\n  priority: INFO\n".to_vec(),
        b"- rule: r\n  desc: d\n  condition: proc.name regex '(((((('\n  output: o\n  priority: INFO\n".to_vec(),
        b"- rule: r\n  exceptions: [{name: e, fields: [[[[a]]]], values: [[[[[[1]]]]]]}]\n  append: true\n".to_vec(),
        b"- list: a\n  items: [a, a, a, a]\n- rule: r\n  desc: d\n  condition: 'a.b in (a)'\n  output: '%proc.aname[x]'\n  priority: INFO\n".to_vec(),
    ];
    for i in inputs {
        check_bytes(&i);
    }
}

#[test]
fn rule_sets_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    assert_send_sync::<bulwark_rules::Alert>();
}
