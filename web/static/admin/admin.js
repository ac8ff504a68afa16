// The admin console: each section of a hall's setup, staff accounts, device tokens and the audit log, over the
// JSON API. Changes made elsewhere (another admin, the CLI) arrive as "layout.changed" on the hall's live stream
// and the section reloads itself, unless an editor is open.
"use strict";
(function () {
  const { api, esc, said } = window.hallops;
  const root = document.getElementById("admin");
  const SECTION = root.dataset.section;
  const HALL = root.dataset.hall ? Number(root.dataset.hall) : null;
  const body = document.getElementById("section-body");
  const flashEl = document.getElementById("flash");

  const KINDS = { general: "普通 General", integrated: "综合 Integrated", cross_region: "异地通办 Cross-region",
                  bundle: "一件事 Bundle", help_desk: "帮办 Help desk" };
  const SCOPES = { "": "—", cross_province: "跨省通办 Cross-province", chuanyu: "川渝通办 Chuanyu",
                   cross_county: "跨区县通办 Cross-county", four_district: "四区通办 Four districts" };
  const ROLES = { admin: "管理员 Admin", manager: "值班主任 Manager", clerk: "窗口人员 Clerk" };
  const TOKEN_ROLES = { kiosk: "取号机 Kiosk", display: "显示屏 Display", rating_pad: "评价器 Rating pad",
                        clerk: "窗口终端 Clerk pad", manager: "主任平板 Manager pad" };

  // "中文 English" labels as the pages write them.
  const bi = (text) => {
    const i = text.search(/ [A-Za-z]/);
    return i < 0 ? esc(text) : '<span class="zh">' + esc(text.slice(0, i)) + '</span> <small class="en">' + esc(text.slice(i + 1)) + "</small>";
  };

  function flash(text, bad) {
    flashEl.innerHTML = said(text);
    flashEl.classList.toggle("bad", !!bad);
    flashEl.hidden = false;
    clearTimeout(flash.t);
    if (!bad) flash.t = setTimeout(() => { flashEl.hidden = true; }, 6000);
  }

  function errorText(e) {
    let text = e.message || String(e);
    if (e.detail && Array.isArray(e.detail.errors) && e.detail.errors.length && e.detail.errors[0].line === undefined) {
      text += " — " + e.detail.errors.map(x => x.field + ": " + x.message).join("; ");
    }
    return text;
  }

  const tag = (cls, text) => '<span class="tag ' + cls + '">' + bi(text) + "</span>";
  const activeTag = (on) => on ? tag("on", "在用 Active") : tag("off", "已删除 Archived");

  let editorOpen = false;
  let view = null;          // the hall's model as the console edits it (GET /api/v1/halls/{hall}/admin)

  async function hallView() {
    view = await api("GET", "/api/v1/halls/" + HALL + "/admin");
    return view;
  }

  // -- a generic editor --------------------------------------------------------------------------------------
  // fields: [{name, label, type: text|number|select|check|textarea|chips, options, required, readonly, choices}]
  function editor(title, fields, values, onSave, onCancel) {
    editorOpen = true;
    const box = document.createElement("form");
    box.className = "editor";
    box.innerHTML = "<h2>" + bi(title) + '</h2><div class="fields"></div><p class="error" role="alert" hidden></p>' +
      '<div class="buttons"><button type="submit" class="primary"><span class="zh">保存</span> <small class="en">Save</small></button>' +
      '<button type="button" data-cancel><span class="zh">取消</span> <small class="en">Cancel</small></button></div>';
    const grid = box.querySelector(".fields");
    const getters = {};
    for (const f of fields) {
      const v = values[f.name];
      const label = document.createElement("label");
      if (f.type === "check") {
        label.className = "check";
        label.innerHTML = '<input type="checkbox" name="' + f.name + '"' + (v ? " checked" : "") + "> " + bi(f.label);
        getters[f.name] = () => label.querySelector("input").checked;
      } else if (f.type === "chips") {
        label.style.gridColumn = "1 / -1";
        label.innerHTML = "<span>" + bi(f.label) + "</span>";
        const chips = chipList(v || [], f.choices());
        label.appendChild(chips.el);
        getters[f.name] = chips.value;
      } else {
        label.innerHTML = "<span>" + bi(f.label) + "</span>";
        let input;
        if (f.type === "select") {
          input = document.createElement("select");
          for (const [k, text] of Object.entries(f.options())) {
            const o = document.createElement("option");
            o.value = k; o.textContent = text; if (String(v ?? "") === k) o.selected = true;
            input.appendChild(o);
          }
        } else if (f.type === "textarea") {
          input = document.createElement("textarea"); input.rows = 4; input.value = v ?? "";
          label.style.gridColumn = "1 / -1";
        } else {
          input = document.createElement("input");
          input.type = f.type === "number" ? "number" : f.type === "password" ? "password" : "text";
          input.value = v ?? "";
          if (f.placeholder) input.placeholder = f.placeholder;
        }
        input.name = f.name;
        if (f.required) input.required = true;
        if (f.readonly) input.disabled = true;
        label.appendChild(input);
        getters[f.name] = () => {
          if (f.type === "number") return input.value === "" ? null : Number(input.value);
          if (f.type === "select") return input.value === "" ? null : input.value;
          return input.value;
        };
      }
      grid.appendChild(label);
    }
    box.querySelector("[data-cancel]").addEventListener("click", () => { close(); if (onCancel) onCancel(); });
    function close() { box.remove(); editorOpen = false; }
    box.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const out = {};
      for (const f of fields) if (!f.readonly) out[f.name] = getters[f.name]();
      const err = box.querySelector(".error");
      err.hidden = true;
      try {
        await onSave(out);
        close();
        await reload();
      } catch (e) {
        err.innerHTML = said(errorText(e)); err.hidden = false;
      }
    });
    body.prepend(box);
    const first = box.querySelector("input:not([disabled]), select, textarea");
    if (first) first.focus();
    return box;
  }

  // An ordered list of codes, reordered by dragging, with an "add" picker.
  function chipList(initial, choices) {
    const el = document.createElement("div");
    const list = document.createElement("div");
    list.className = "chips";
    const add = document.createElement("div");
    add.className = "chip-add";
    const pick = document.createElement("select");
    const addBtn = document.createElement("button");
    addBtn.type = "button"; addBtn.innerHTML = bi("添加 Add");
    add.append(pick, addBtn);
    el.append(list, add);
    let values = initial.slice();
    let dragged = null;
    function render() {
      list.innerHTML = "";
      values.forEach((code, i) => {
        const c = document.createElement("span");
        c.className = "chip"; c.draggable = true; c.dataset.code = code;
        c.innerHTML = '<span class="pos">' + (i + 1) + "</span> " + esc(choices[code] ? code + " " + choices[code] : code) +
          ' <button type="button" title="移除 Remove" aria-label="remove">×</button>';
        c.querySelector("button").addEventListener("click", () => { values = values.filter(x => x !== code); render(); });
        c.addEventListener("dragstart", (ev) => { dragged = code; c.classList.add("dragging"); ev.dataTransfer.setData("text/plain", code); });
        c.addEventListener("dragend", () => { c.classList.remove("dragging"); dragged = null; });
        c.addEventListener("dragover", (ev) => ev.preventDefault());
        c.addEventListener("drop", (ev) => {
          ev.preventDefault();
          const from = dragged || ev.dataTransfer.getData("text/plain");
          if (!from || from === code) return;
          values = values.filter(x => x !== from);
          values.splice(values.indexOf(code), 0, from);
          render();
        });
        list.appendChild(c);
      });
      pick.innerHTML = "";
      for (const [k, text] of Object.entries(choices)) {
        if (values.includes(k)) continue;
        const o = document.createElement("option"); o.value = k; o.textContent = k + " " + text; pick.appendChild(o);
      }
    }
    list.addEventListener("dragover", (ev) => ev.preventDefault());
    list.addEventListener("drop", (ev) => {     // dropped past the last chip: to the end
      if (ev.target !== list) return;
      ev.preventDefault();
      const from = dragged; if (!from) return;
      values = values.filter(x => x !== from); values.push(from); render();
    });
    addBtn.addEventListener("click", () => { if (pick.value) { values.push(pick.value); render(); } });
    render();
    return { el, value: () => values.slice() };
  }

  function table(headers, rows) {
    return '<div class="scroll"><table class="grid"><thead><tr>' + headers.map(h => "<th>" + bi(h) + "</th>").join("") +
      "</tr></thead><tbody>" + rows.join("") + "</tbody></table></div>";
  }

  function rowActions(id, active, extra) {
    return '<td class="actions">' + (extra || "") +
      (active ? '<button type="button" data-edit="' + id + '">' + bi("编辑 Edit") + "</button> " +
                '<button type="button" data-archive="' + id + '">' + bi("删除 Delete") + "</button>"
              : '<button type="button" data-restore="' + id + '">' + bi("恢复 Restore") + "</button>") + "</td>";
  }

  // -- the hall's model: one description per kind ---------------------------------------------------------------
  const deptOptions = () => Object.assign({ "": "—" }, Object.fromEntries(view.departments.filter(d => d.active).map(d => [d.code, d.code + " " + d.name])));
  const queueOptions = () => Object.assign({ "": "—" }, Object.fromEntries(view.queues.filter(q => q.active).map(q => [q.prefix, q.prefix + " " + q.name])));
  const queueChoices = () => Object.fromEntries(view.queues.filter(q => q.active).map(q => [q.prefix, q.name]));
  const itemChoices = () => Object.fromEntries(view.service_items.filter(i => i.active).map(i => [i.code, i.name]));

  const MODEL = {
    departments: {
      list: () => view.departments, api: "departments", title: ["部门", "department"],
      headers: ["编码 Code", "名称 Name", "英文名 English", "状态 Status", ""],
      row: d => [esc(d.code), esc(d.name), esc(d.name_en), activeTag(d.active)],
      fields: (isNew) => [
        { name: "code", label: "编码 Code", required: true, readonly: !isNew, placeholder: "gongan" },
        { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" }],
    },
    items: {
      list: () => view.service_items, api: "service-items", title: ["事项", "service item"],
      headers: ["本地编码 Code", "事项编码 Standard code", "名称 Name", "部门 Department", "业务类型 Queue", "状态 Status", ""],
      row: i => [esc(i.code), esc(i.standard_code), esc(i.name), esc(i.department || "—"), esc(i.queue || "—"), activeTag(i.active)],
      fields: (isNew) => [
        { name: "code", label: "本地编码 Code", required: true, readonly: !isNew },
        { name: "standard_code", label: "事项编码（省一体化平台） Standard code" },
        { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" },
        { name: "department", label: "部门 Department", type: "select", options: deptOptions },
        { name: "queue", label: "业务类型 Queue", type: "select", options: queueOptions }],
      clean: (v) => { if (!v.standard_code) delete v.standard_code; return v; },
    },
    bundles: {
      list: () => view.bundles, api: "bundles", title: ["一件事", "bundle"],
      headers: ["编码 Code", "名称 Name", "取号业务类型 Queue", "事项（按顺序） Items in order", "状态 Status", ""],
      row: b => [esc(b.code), esc(b.name), esc(b.queue || "—"),
                 b.items.map((it, i) => (i + 1) + ". " + esc(it.name) + (it.department ? ' <small class="muted">' + esc(it.department) + "</small>" : "")).join("<br>"),
                 activeTag(b.active)],
      fields: (isNew) => [
        { name: "code", label: "编码 Code", required: true, readonly: !isNew },
        { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" },
        { name: "queue", label: "取号业务类型 Queue", type: "select", options: queueOptions },
        { name: "items", label: "事项（拖动排序，依次办理） Items, in the order served (drag to reorder)", type: "chips", choices: itemChoices }],
      values: b => Object.assign({}, b, { items: b.items.map(i => i.code) }),
    },
    queues: {
      list: () => view.queues, api: "queues", title: ["业务类型", "queue"],
      headers: ["前缀 Prefix", "名称 Name", "类型 Kind", "部门 Department", "取号时间 Hours", "每日上限 Daily cap", "目标等候(分) Target wait", "状态 Status", ""],
      row: q => [esc(q.prefix), esc(q.name), bi(KINDS[q.kind] || q.kind), esc(q.department || "—"), esc(q.hours),
                 q.daily_cap ? esc(q.daily_cap) : "—", esc(q.target_wait_minutes), activeTag(q.active)],
      fields: () => [
        { name: "prefix", label: "前缀 Prefix", required: true, placeholder: "A" },
        { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" },
        { name: "category", label: "分类 Category" },
        { name: "kind", label: "类型 Kind", type: "select", options: () => KINDS },
        { name: "department", label: "部门 Department", type: "select", options: deptOptions },
        { name: "hours", label: "取号时间 Hours", placeholder: "08:30-12:00,13:30-17:00" },
        { name: "daily_cap", label: "每日上限（0 不限） Daily cap (0: none)", type: "number" },
        { name: "target_wait_minutes", label: "目标等候分钟 Target wait (min)", type: "number" },
        { name: "avg_service_minutes", label: "平均办理分钟 Average service (min)", type: "number" }],
    },
    windows: {
      list: () => view.windows, api: "windows", title: ["窗口", "window"],
      headers: ["号 No.", "名称 Name", "类型 Kind", "通办范围 Scope", "区域 Area", "业务类型（按顺序） Queues in order", "状态 Status", ""],
      row: w => [esc(w.number), esc(w.name) + (w.key_window ? " " + tag("key", "重点 Key") : ""), bi(KINDS[w.kind] || w.kind),
                 (w.scope ? bi(SCOPES[w.scope]) : "—"), esc(w.area || "—"), esc(w.queues.join(" → ")), activeTag(w.active)],
      fields: () => [
        { name: "number", label: "窗口号 Number", type: "number", required: true },
        { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" },
        { name: "kind", label: "类型 Kind", type: "select", options: () => KINDS },
        { name: "scope", label: "异地通办范围 Cross-region scope", type: "select", options: () => SCOPES },
        { name: "area", label: "区域 Area" },
        { name: "key_window", label: "重点窗口 Key window", type: "check" },
        { name: "queues", label: "办理的业务类型（拖动排序：越靠前越优先） Queues served (drag: first is called first)", type: "chips", choices: queueChoices }],
    },
  };

  async function modelSection(kind) {
    const m = MODEL[kind];
    await hallView();
    let rows = m.list();
    const search = kind === "items" ? (renderModel.search || "") : "";
    if (search) {
      const s = search.toLowerCase();
      rows = rows.filter(r => [r.code, r.standard_code, r.name, r.department].some(x => String(x || "").toLowerCase().includes(s)));
    }
    const shown = kind === "items" ? rows.slice(0, 300) : rows;
    let html = '<div class="toolbar"><button type="button" class="primary" data-new>' + bi("新增 Add") + "</button>";
    if (kind === "items") {
      html += '<label><span>' + bi("搜索 Search") + '</span><input type="search" id="item-search" value="' + esc(search) + '" placeholder="编码、名称、部门"></label>' +
        '<span class="muted">' + bi("共 " + m.list().length + " 项，显示 " + shown.length + " Total " + m.list().length + ", showing " + shown.length) + "</span>";
    }
    html += "</div>";
    if (kind === "items") html += importPanel();
    html += table(m.headers, shown.map(o => '<tr class="' + (o.active ? "" : "archived") + '" data-id="' + o.id + '">' +
      m.row(o).map(c => "<td>" + c + "</td>").join("") + rowActions(o.id, o.active) + "</tr>"));
    body.innerHTML = html;
    body.querySelector("[data-new]").addEventListener("click", () => {
      if (editorOpen) return;
      editor("新增" + m.title[0] + " New " + m.title[1], m.fields(true), kind === "queues" ? { kind: "general", hours: "00:00-24:00", daily_cap: 0, target_wait_minutes: 20, avg_service_minutes: 8 }
        : kind === "windows" ? { kind: "general", queues: [] } : kind === "bundles" ? { items: [] } : {},
      (v) => api("POST", "/api/v1/halls/" + HALL + "/" + m.api, cleanNew(m, v)).then(o => flash("已新增 (added) " + (o.name || o.code || ""))));
    });
    body.querySelectorAll("[data-edit]").forEach(b => b.addEventListener("click", () => {
      if (editorOpen) return;
      const o = m.list().find(x => x.id === Number(b.dataset.edit));
      const vals = m.values ? m.values(o) : o;
      editor("编辑" + m.title[0] + " Edit " + m.title[1], m.fields(false), vals,
        (v) => api("PATCH", "/api/v1/" + m.api + "/" + o.id, changed(vals, v)).then(() => flash("已保存 (saved)")));
    }));
    body.querySelectorAll("[data-archive]").forEach(b => b.addEventListener("click", async () => {
      const o = m.list().find(x => x.id === Number(b.dataset.archive));
      if (!confirm("删除（归档）" + (o.name || o.code) + "？历史记录保留其名称。\nDelete (archive)? History keeps its name.")) return;
      try { await api("DELETE", "/api/v1/" + m.api + "/" + o.id); flash("已删除（归档） (archived) " + (o.name || o.code)); await reload(); }
      catch (e) { flash(errorText(e), true); }
    }));
    body.querySelectorAll("[data-restore]").forEach(b => b.addEventListener("click", async () => {
      try { await api("PATCH", "/api/v1/" + m.api + "/" + b.dataset.restore, { active: true }); flash("已恢复 (restored)"); await reload(); }
      catch (e) { flash(errorText(e), true); }
    }));
    const s = body.querySelector("#item-search");
    if (s) s.addEventListener("change", () => { renderModel.search = s.value.trim(); reload(); });
    if (kind === "items") wireImport();
  }
  const renderModel = {};

  function cleanNew(m, v) {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== "") out[k] = x;
    if (out.kind !== "cross_region") delete out.scope;
    return m.clean ? m.clean(out) : out;
  }

  function changed(before, after) {
    const out = {};
    for (const [k, v] of Object.entries(after)) {
      const was = before[k];
      if (JSON.stringify(was ?? null) === JSON.stringify(v ?? null)) continue;
      if ((v === "" || v === null) && (was === "" || was === null || was === undefined)) continue;
      out[k] = v === "" && ["department", "queue", "scope"].includes(k) ? null : v;
    }
    if ("kind" in out && out.kind !== "cross_region" && before.scope) out.scope = null;
    return out;
  }

  // -- importing the item list --------------------------------------------------------------------------------
  function importPanel() {
    return '<div class="editor" id="import"><h2>' + bi("导入事项清单（CSV 或 XLSX） Import the item list (CSV or XLSX)") + "</h2>" +
      '<p class="muted">' + bi("列：事项编码、事项名称、部门、业务类型（可选：本地编码、英文名称）。先试运行查看将要发生的变化，再应用。 Columns: standard_code, name, department, queue (optional: code, name_en). Dry-run first, then apply.") + "</p>" +
      '<div class="toolbar"><input type="file" id="import-file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet">' +
      '<button type="button" id="import-dry">' + bi("试运行 Dry run") + "</button>" +
      '<button type="button" class="primary" id="import-apply" disabled>' + bi("应用导入 Apply") + "</button></div>" +
      '<div id="import-result"></div></div>';
  }

  async function upload(file, apply) {
    const url = "/api/v1/halls/" + HALL + "/service-items/import?apply=" + (apply ? 1 : 0) + "&filename=" + encodeURIComponent(file.name);
    const resp = await fetch(url, { method: "POST", credentials: "same-origin", body: file,
      headers: { "X-CSRF-Token": window.hallops.csrf(), "Content-Type": "application/octet-stream" } });
    const data = await resp.json().catch(() => null);
    if (!resp.ok) throw new window.hallops.ApiError(resp.status, data && data.error, (data && data.message) || resp.statusText, data && data.detail);
    return data;
  }

  function wireImport() {
    const file = body.querySelector("#import-file"), dry = body.querySelector("#import-dry");
    const apply = body.querySelector("#import-apply"), out = body.querySelector("#import-result");
    file.addEventListener("change", () => { apply.disabled = true; out.innerHTML = ""; });
    dry.addEventListener("click", async () => {
      if (!file.files.length) return flash("请先选择文件 (choose a file first)", true);
      out.innerHTML = '<p class="muted">' + bi("检查中… Checking…") + "</p>";
      try {
        const p = await upload(file.files[0], false);
        out.innerHTML = planHtml(p);
        apply.disabled = p.errors.length > 0 || (p.add + p.change) === 0;
      } catch (e) { out.innerHTML = ""; flash(errorText(e), true); }
    });
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      try {
        const c = await upload(file.files[0], true);
        flash("导入完成：新增 " + c.added + "，修改 " + c.changed + "，未变 " + c.unchanged + " (imported: " + c.added + " added, " + c.changed + " changed)");
        renderModel.search = "";
        await reload();
      } catch (e) {
        if (e.detail && e.detail.errors) out.innerHTML = planHtml({ rows: 0, add: 0, change: 0, unchanged: 0, errors: e.detail.errors, added: [], changed: [] });
        flash(errorText(e), true);
      }
    });
  }

  function planHtml(p) {
    let html = '<div class="import-summary" id="import-summary">' +
      "<div><span class=n>" + p.rows + "</span>" + bi("行 Rows") + "</div>" +
      "<div><span class=n>" + p.add + "</span>" + bi("新增 To add") + "</div>" +
      "<div><span class=n>" + p.change + "</span>" + bi("修改 To change") + "</div>" +
      "<div><span class=n>" + p.unchanged + "</span>" + bi("未变 Unchanged") + "</div>" +
      '<div class="' + (p.errors.length ? "bad" : "") + '"><span class=n>' + p.errors.length + "</span>" + bi("错误 Errors") + "</div></div>";
    if (p.errors.length) {
      html += "<h3>" + bi("错误（按文件行号） Errors, by the file's line") + "</h3>" + table(["行 Line", "列 Column", "错误 Error"],
        p.errors.map(e => '<tr class="import-error"><td>' + esc(e.line) + "</td><td>" + esc(e.field) + "</td><td>" + said(e.message) + "</td></tr>"));
      html += '<p class="error">' + bi("有错误的行改正后请重新试运行；有错误时不能应用。 Fix the lines above and dry-run again: nothing is applied while any row has an error.") + "</p>";
    }
    if (p.changed && p.changed.length) {
      html += "<h3>" + bi("将修改（前 50 条） To change (first 50)") + "</h3>" + table(["行 Line", "事项编码 Standard code", "修改前 Before", "修改后 After"],
        p.changed.map(c => "<tr><td>" + c.line + "</td><td>" + esc(c.standard_code) + '</td><td class="diff">' + esc(JSON.stringify(c.before)) + '</td><td class="diff">' + esc(JSON.stringify(c.after)) + "</td></tr>"));
    }
    if (p.added && p.added.length) {
      html += "<h3>" + bi("将新增（前 50 条） To add (first 50)") + "</h3>" + table(["行 Line", "事项编码 Standard code", "名称 Name"],
        p.added.map(a => "<tr><td>" + a.line + "</td><td>" + esc(a.standard_code) + "</td><td>" + esc(a.name) + "</td></tr>"));
    }
    return html;
  }

  // -- patrol checklist, alert thresholds, notices -------------------------------------------------------------
  async function checklistSection() {
    const data = await api("GET", "/api/v1/halls/" + HALL + "/checklist");
    let items = data.items.map(i => ({ code: i.code, name: i.name, name_en: i.name_en || "" }));
    function render() {
      body.innerHTML = '<p class="muted">' + bi("巡查时逐项检查的内容；删去的项目退役，历史巡查保留。 What each patrol checks; items left out are retired, past patrols keep them.") + "</p>" +
        table(["#", "编码 Code", "名称 Name", "英文名 English", ""], items.map((it, i) =>
          "<tr><td>" + (i + 1) + '</td><td><input data-i="' + i + '" data-k="code" value="' + esc(it.code) + '"></td><td><input data-i="' + i + '" data-k="name" value="' + esc(it.name) +
          '"></td><td><input data-i="' + i + '" data-k="name_en" value="' + esc(it.name_en) + '"></td><td class="actions"><button type="button" data-up="' + i + '">↑</button> <button type="button" data-del="' + i + '">' + bi("移除 Remove") + "</button></td></tr>")) +
        '<div class="toolbar" style="margin-top:.8rem"><button type="button" data-add>' + bi("添加一项 Add an item") + '</button><button type="button" class="primary" data-save>' + bi("保存清单 Save checklist") + "</button></div>";
      body.querySelectorAll("input[data-i]").forEach(inp => inp.addEventListener("input", () => { items[Number(inp.dataset.i)][inp.dataset.k] = inp.value; }));
      body.querySelectorAll("[data-del]").forEach(b => b.addEventListener("click", () => { items.splice(Number(b.dataset.del), 1); render(); }));
      body.querySelectorAll("[data-up]").forEach(b => b.addEventListener("click", () => { const i = Number(b.dataset.up); if (i > 0) { [items[i - 1], items[i]] = [items[i], items[i - 1]]; render(); } }));
      body.querySelector("[data-add]").addEventListener("click", () => { items.push({ code: "", name: "", name_en: "" }); render(); });
      body.querySelector("[data-save]").addEventListener("click", async () => {
        try { await api("PUT", "/api/v1/halls/" + HALL + "/checklist", { items }); flash("清单已保存 (checklist saved)"); await reload(); }
        catch (e) { flash(errorText(e), true); }
      });
    }
    render();
  }

  async function alertsSection() {
    const data = await api("GET", "/api/v1/halls/" + HALL + "/alert-rules");
    body.innerHTML = '<p class="muted">' + bi("全大厅的阈值；按业务类型的设置在值班主任平板上修改。 Hall-wide thresholds; per-queue settings are changed on the manager's tablet.") + "</p>" +
      table(["预警 Alert", "启用 On", "阈值 Threshold", "默认 Default"], data.rules.map(r =>
        "<tr><td>" + esc(r.name) + ' <small class="en">' + esc(r.name_en) + '</small></td><td><input type="checkbox" data-kind="' + esc(r.kind) + '" data-k="enabled"' + (r.enabled ? " checked" : "") +
        '></td><td><input type="number" step="any" min="0" data-kind="' + esc(r.kind) + '" data-k="threshold" value="' + esc(r.threshold ?? "") + '"></td><td>' + esc(r.default_threshold ?? "—") + "</td></tr>")) +
      '<div class="toolbar" style="margin-top:.8rem"><button type="button" class="primary" data-save>' + bi("保存阈值 Save thresholds") + "</button></div>";
    body.querySelector("[data-save]").addEventListener("click", async () => {
      const rules = data.rules.map(r => {
        const en = body.querySelector('[data-kind="' + r.kind + '"][data-k="enabled"]').checked;
        const th = body.querySelector('[data-kind="' + r.kind + '"][data-k="threshold"]').value;
        const out = { kind: r.kind, enabled: en };
        if (th !== "") out.threshold = Number(th);
        return out;
      });
      try { await api("PUT", "/api/v1/halls/" + HALL + "/alert-rules", { rules }); flash("阈值已保存 (thresholds saved)"); await reload(); }
      catch (e) { flash(errorText(e), true); }
    });
  }

  // Working-day deadlines (issue 12): cases, bad-rating follow-ups and patrol findings on one calendar; how a
  // visit may be rated; the daily scan; the province's 好差评 endpoint. One form, saved as one change.
  async function deadlinesSection() {
    const s = await api("GET", "/api/v1/halls/" + HALL + "/quality-settings");
    const COUNT = { receipt_day: "当日起算 From the day", next_day: "次日起算 From the next day" };
    const num = (name, label, min, max) => ({ name, label, type: "number", min, max });
    const groups = [
      ["咨询投诉与差评回访 Cases and bad-rating follow-ups (working days)", [
        num("consultation_days", "咨询件 Consultation", 1, 365), num("complex_days", "复杂件 Complex case", 1, 365),
        num("followup_days", "差评整改回访 Bad-rating follow-up", 1, 365),
        { name: "count_from", label: "起算 Counted", type: "select", options: () => COUNT }]],
      ["巡查问题默认整改期限 Patrol findings' default due (working days)", [
        num("finding_serious_days", "严重 Serious", 1, 365), num("finding_major_days", "较重 Major", 1, 365),
        num("finding_minor_days", "一般 Minor", 1, 365),
        { name: "finding_count_from", label: "起算 Counted", type: "select", options: () => COUNT }]],
      ["评价与每日扫描 Ratings and the daily scan", [
        num("rating_limit_minutes", "办结后可评价（分钟） Rating allowed for (minutes)", 1, 43200),
        num("pad_minutes", "评价器展示（分钟） Pad offers a visit for (minutes)", 1, 120),
        { name: "scan_at", label: "每日到期扫描时间 Daily scan at (HH:MM)", pattern: "([01][0-9]|2[0-3]):[0-5][0-9]" },
        { name: "province_url", label: "省好差评系统地址 Province endpoint", placeholder: "https://…" }]],
    ];
    const input = (f) => f.type === "select"
      ? '<select name="' + f.name + '">' + Object.entries(f.options()).map(([k, t]) => '<option value="' + k + '"' + (s[f.name] === k ? " selected" : "") + ">" + esc(t) + "</option>").join("") + "</select>"
      : '<input name="' + f.name + '" ' + (f.type === "number" ? 'type="number" min="' + f.min + '" max="' + f.max + '" required' : 'type="text"') +
        (f.pattern ? ' pattern="' + f.pattern + '"' : "") + (f.placeholder ? ' placeholder="' + esc(f.placeholder) + '"' : "") + ' value="' + esc(s[f.name] ?? "") + '">';
    body.innerHTML = '<form class="editor deadlines" novalidate>' + groups.map(([title, fields]) =>
      "<fieldset><legend>" + bi(title) + '</legend><div class="fields">' + fields.map(f => "<label><span>" + bi(f.label) + "</span>" + input(f) + "</label>").join("") + "</div></fieldset>").join("") +
      '<p class="muted">' + bi("节假日与调休见日历；新的期限只用于此后受理的事项。 Holidays and make-up days come from the calendar; new deadlines apply to what is received from now on.") + "</p>" +
      '<p class="error" role="alert" hidden></p><div class="buttons"><button type="submit" class="primary">' + bi("保存 Save") + "</button></div></form>";
    const form = body.querySelector("form");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const err = form.querySelector(".error");
      if (!form.checkValidity()) { err.textContent = "请检查标红的项 (check the fields marked red)"; err.hidden = false; form.reportValidity(); return; }
      const change = {};
      for (const [, fields] of groups) for (const f of fields) {
        const el = form.elements[f.name];
        const v = f.type === "number" ? Number(el.value) : el.value;
        if (v !== s[f.name]) change[f.name] = v;
      }
      if (!Object.keys(change).length) { flash("没有改动 (nothing changed)"); return; }
      try { await api("PATCH", "/api/v1/halls/" + HALL + "/quality-settings", change); flash("已保存 (saved)"); await reload(); }
      catch (e) { err.textContent = errorText(e); err.hidden = false; }
    });
  }

  async function noticesSection() {
    await hallView();
    body.innerHTML = '<p class="muted">' + bi("显示在大厅屏幕和取号机上的公告，保存后立即更新所有屏幕。 Shown on the lobby screens and kiosks; every open screen updates when saved.") + "</p>" +
      '<label><span>' + bi("公告 Notice") + '</span><textarea id="notice" rows="4" maxlength="2000">' + esc(view.hall.notice) + "</textarea></label>" +
      '<div class="toolbar" style="margin-top:.8rem"><button type="button" class="primary" data-save>' + bi("发布 Publish") + '</button><button type="button" data-clear>' + bi("清除公告 Clear") + "</button></div>";
    const save = async (text) => {
      try { await api("PATCH", "/api/v1/halls/" + HALL, { notice: text }); flash(text ? "公告已发布 (notice published)" : "公告已清除 (notice cleared)"); await reload(); }
      catch (e) { flash(errorText(e), true); }
    };
    body.querySelector("[data-save]").addEventListener("click", () => save(body.querySelector("#notice").value.trim()));
    body.querySelector("[data-clear]").addEventListener("click", () => save(""));
  }

  // -- device tokens ---------------------------------------------------------------------------------------
  // Times in the hall's zone (the console may be opened from anywhere).
  const TZ = root.dataset.tz || "Asia/Shanghai";
  const when = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: TZ }) : "—";

  async function tokensSection() {
    await hallView();
    const data = await api("GET", "/api/v1/tokens");
    const tokens = data.tokens.filter(t => t.hall_id === HALL && !t.label.startsWith("test-"));
    const windowNo = Object.fromEntries(view.windows.map(w => [w.id, w.number]));
    body.innerHTML = '<div class="toolbar"><button type="button" class="primary" data-new>' + bi("新建设备令牌 New device token") + "</button></div>" +
      '<div id="once"></div>' +
      table(["名称 Label", "类型 Role", "窗口 Window", "创建 Created", "最近使用 Last used", "来源 From", "状态 Status", ""], tokens.map(t =>
        '<tr class="' + (t.revoked_at ? "archived" : "") + '"><td>' + esc(t.label) + "</td><td>" + bi(TOKEN_ROLES[t.role] || t.role) + "</td><td>" + (t.window_id ? esc(windowNo[t.window_id]) : "—") +
        "</td><td>" + when(t.created_at) + "</td><td>" + when(t.last_used_at) + "</td><td>" + esc(t.last_used_from || "—") + "</td><td>" +
        (t.revoked_at ? tag("off", "已撤销 Revoked") : tag("on", "有效 Active")) + '</td><td class="actions">' +
        (t.revoked_at ? "" : '<button type="button" data-revoke="' + t.id + '">' + bi("撤销 Revoke") + "</button>") + "</td></tr>"));
    const windows = () => Object.assign({ "": "—" }, Object.fromEntries(view.windows.filter(w => w.active).map(w => [String(w.id), w.number + " " + w.name])));
    body.querySelector("[data-new]").addEventListener("click", () => {
      if (editorOpen) return;
      editor("新建设备令牌 New device token", [
        { name: "role", label: "设备类型 Device", type: "select", options: () => TOKEN_ROLES },
        { name: "label", label: "名称（如 取号机-1） Label", required: true },
        { name: "window", label: "绑定窗口（窗口屏、评价器） Window (window screens, pads)", type: "select", options: windows }],
      { role: "kiosk" }, async (v) => {
        const t = await api("POST", "/api/v1/tokens", { role: v.role, label: v.label, hall: HALL, window: v.window ? Number(v.window) : null });
        showOnce(t);
      });
    });
    body.querySelectorAll("[data-revoke]").forEach(b => b.addEventListener("click", async () => {
      if (!confirm("撤销后该设备立即无法使用。确定？\nThe device stops working at once. Revoke?")) return;
      try { await api("DELETE", "/api/v1/tokens/" + b.dataset.revoke); flash("令牌已撤销 (token revoked)"); await reload(); }
      catch (e) { flash(errorText(e), true); }
    }));
  }

  let pendingOnce = null;   // shown after the reload that follows the save
  function showOnce(t) { pendingOnce = t; }
  function renderOnce() {
    const t = pendingOnce; pendingOnce = null;
    const el = body.querySelector("#once");
    if (!t || !el) return;
    el.innerHTML = '<div class="editor once-box"><h2>' + bi("令牌只显示这一次 This token is shown only once") + '</h2><div class="once"><div class="qr">' + t.qr_svg + "</div><div>" +
      "<p>" + bi("用设备扫描二维码，或在设备上打开下面的地址完成配对。关闭后无法再次查看。 Scan the QR code with the device, or open the address below on it. It cannot be shown again.") + "</p>" +
      (t.pair_url ? '<p class="secret" id="pair-url">' + esc(t.pair_url) + "</p>" : "") +
      '<p class="secret" id="new-token">' + esc(t.token) + "</p>" +
      '<button type="button" data-close>' + bi("我已记下 Done") + "</button></div></div></div>";
    el.querySelector("[data-close]").addEventListener("click", () => { el.innerHTML = ""; });
  }

  // -- halls ------------------------------------------------------------------------------------------------
  async function hallsSection() {
    const data = await api("GET", "/api/v1/halls");
    const LEVELS = { district: "区级中心 District centre", street: "街道中心 Street centre", new_town: "新城中心 New-town centre", community: "社区中心 Community centre" };
    const byId = Object.fromEntries(data.halls.map(h => [h.id, h]));
    // The tree, a parent before its centres; a centre whose parent this admin does not see starts a tree.
    const kids = {};
    for (const h of data.halls) { const p = byId[h.parent_id] ? h.parent_id : 0; (kids[p] = kids[p] || []).push(h); }
    const halls = [];
    (function walk(p, depth) { for (const h of kids[p] || []) { halls.push(Object.assign({}, h, { depth, parent: byId[h.parent_id] ? byId[h.parent_id].code : "" })); walk(h.id, depth + 1); } })(0, 0);
    body.innerHTML = '<div class="toolbar"><button type="button" class="primary" data-new>' + bi("新建中心 New centre") + "</button></div>" +
      table(["名称 Name", "层级 Level", "编码 Code", "英文名 English", "时区 Time zone", ""], halls.map(h =>
        '<tr data-hall="' + h.id + '"><td style="white-space:nowrap;padding-left:' + (0.5 + 1.4 * h.depth) + 'em">' + (h.depth ? "└ " : "") + esc(h.name) + "</td><td>" + bi(LEVELS[h.level] || h.level) +
        "</td><td>" + esc(h.code) + "</td><td>" + esc(h.name_en || "") + "</td><td>" + esc(h.timezone || "") +
        '</td><td class="actions"><button type="button" data-edit="' + h.id + '">' + bi("编辑 Edit") + '</button> <a href="/admin/' + esc(h.code) + '/windows">' + bi("设置 Set up") + "</a>" +
        (kids[h.id] ? ' <a href="/district/' + esc(h.code) + '">' + bi("区域总览 District view") + "</a>" : "") + "</td></tr>"));
    const parents = () => Object.assign({ "": "无（区级中心） None (a district centre)" }, Object.fromEntries(halls.filter(h => h.level !== "community").map(h => [h.code, h.name])));
    const fields = (isNew) => [
      { name: "code", label: "编码 Code", required: true, readonly: !isNew, placeholder: "renhe-wanshou" },
      { name: "name", label: "名称 Name", required: true }, { name: "name_en", label: "英文名 English name" },
      { name: "level", label: "层级 Level", type: "select", options: () => LEVELS },
      { name: "parent", label: "上级中心 Under", type: "select", options: parents },
      { name: "timezone", label: "时区 Time zone", placeholder: "Asia/Shanghai" }];
    body.querySelector("[data-new]").addEventListener("click", () => {
      if (editorOpen) return;
      editor("新建中心 New centre", fields(true), { timezone: "Asia/Shanghai", level: "community" }, (v) => api("POST", "/api/v1/halls", cleanNew({}, v)).then(() => flash("已新建 (centre created)")));
    });
    body.querySelectorAll("[data-edit]").forEach(b => b.addEventListener("click", () => {
      if (editorOpen) return;
      const h = halls.find(x => x.id === Number(b.dataset.edit));
      editor("编辑中心 Edit centre", fields(false), h, (v) => api("PATCH", "/api/v1/halls/" + h.id, changed(h, v)).then(() => flash("已保存 (saved)")));
    }));
  }

  // -- staff accounts ---------------------------------------------------------------------------------------
  async function usersSection() {
    const [data, hallsData] = await Promise.all([api("GET", "/api/v1/users"), api("GET", "/api/v1/halls")]);
    if (HALL) await hallView();
    const halls = hallsData.halls;
    const hallName = Object.fromEntries(halls.map(h => [h.id, h.name]));
    const windowNo = view ? Object.fromEntries(view.windows.map(w => [w.id, w.number])) : {};
    const hallOptions = () => Object.assign({ "": "全部大厅 Every hall" }, Object.fromEntries(halls.map(h => [String(h.id), h.name])));
    const windowOptions = () => Object.assign({ "": "不限 Any" }, view ? Object.fromEntries(view.windows.filter(w => w.active).map(w => [String(w.id), w.number + " " + w.name])) : {});
    const status = (u) => !u.active ? tag("off", "已停用 Disabled") : u.must_change_password ? tag("key", "待改密码 Must change") + tag("on", "在用 Active") : tag("on", "在用 Active");
    body.innerHTML = '<div class="toolbar"><button type="button" class="primary" data-new>' + bi("新建账号 New account") + "</button>" +
      '<label><span>' + bi("筛选 Filter") + '</span><input type="search" id="user-filter" placeholder="用户名、姓名"></label></div><div id="once"></div>' +
      table(["用户名 Username", "姓名 Name", "角色 Role", "大厅 Hall", "窗口 Window", "状态 Status", ""], data.users.map(u =>
        '<tr class="' + (u.active ? "" : "archived") + '" data-user="' + esc(u.username) + '"><td>' + esc(u.username) + "</td><td>" + esc(u.display_name) + "</td><td>" + bi(ROLES[u.role] || u.role) +
        "</td><td>" + esc(u.hall_id ? hallName[u.hall_id] || u.hall_id : "全部 All") + "</td><td>" + (u.window_id ? esc(windowNo[u.window_id] || u.window_id) : "—") + "</td><td>" + status(u) +
        '</td><td class="actions">' + (u.active ?
          '<button type="button" data-edit="' + u.id + '">' + bi("编辑 Edit") + '</button> <button type="button" data-reset="' + u.id + '">' + bi("重置密码 Reset password") +
          '</button> <button type="button" data-force="' + u.id + '">' + bi("要求改密 Force change") + '</button> <button type="button" data-disable="' + u.id + '">' + bi("停用 Disable") + "</button>"
          : '<button type="button" data-enable="' + u.id + '">' + bi("启用 Enable") + "</button>") + "</td></tr>"));
    const f = body.querySelector("#user-filter");
    f.addEventListener("input", () => {
      const s = f.value.trim().toLowerCase();
      body.querySelectorAll("tr[data-user]").forEach(tr => { tr.hidden = s && !tr.textContent.toLowerCase().includes(s); });
    });
    body.querySelector("[data-new]").addEventListener("click", () => {
      if (editorOpen) return;
      editor("新建账号 New account", [
        { name: "username", label: "用户名 Username", required: true, placeholder: "lihua" },
        { name: "display_name", label: "姓名 Name", required: true },
        { name: "role", label: "角色 Role", type: "select", options: () => ROLES },
        { name: "hall", label: "大厅 Hall", type: "select", options: hallOptions },
        { name: "window", label: "限定窗口（窗口人员） Window (clerks)", type: "select", options: windowOptions },
        { name: "password", label: "初始密码（至少 10 位） First password (10+ characters)", type: "password", required: true },
        { name: "must_change_password", label: "首次登录须修改密码 Must change at first sign-in", type: "check" }],
      { role: "clerk", hall: HALL ? String(HALL) : "", must_change_password: true }, (v) => api("POST", "/api/v1/users", {
        username: v.username.trim(), display_name: v.display_name, role: v.role, password: v.password,
        hall: v.hall ? Number(v.hall) : null, window: v.window ? Number(v.window) : null, must_change_password: v.must_change_password,
      }).then(u => flash("账号已新建 (account created): " + u.username)));
    });
    const find = (id) => data.users.find(u => u.id === Number(id));
    body.querySelectorAll("[data-edit]").forEach(b => b.addEventListener("click", () => {
      if (editorOpen) return;
      const u = find(b.dataset.edit);
      const vals = { username: u.username, display_name: u.display_name, role: u.role, hall: u.hall_id ? String(u.hall_id) : "", window: u.window_id ? String(u.window_id) : "" };
      editor("编辑账号 Edit account", [
        { name: "username", label: "用户名 Username", readonly: true },
        { name: "display_name", label: "姓名 Name", required: true },
        { name: "role", label: "角色 Role", type: "select", options: () => ROLES },
        { name: "hall", label: "大厅 Hall", type: "select", options: hallOptions },
        { name: "window", label: "限定窗口 Window", type: "select", options: windowOptions }], vals, (v) => {
        const ch = changed(vals, v);
        if ("hall" in ch) ch.hall = ch.hall ? Number(ch.hall) : null;
        if ("window" in ch) ch.window = ch.window ? Number(ch.window) : null;
        return api("PATCH", "/api/v1/users/" + u.id, ch).then(() => flash("已保存 (saved)"));
      });
    }));
    const act = (sel, fn) => body.querySelectorAll(sel).forEach(b => b.addEventListener("click", async () => {
      try { await fn(find(b.getAttribute(sel.slice(1, -1)))); } catch (e) { flash(errorText(e), true); }
    }));
    act("[data-disable]", async (u) => {
      if (!confirm("停用 " + u.username + "？其登录和令牌立即失效，历史记录保留。\nDisable? Their sessions and tokens stop at once; history stays.")) return;
      await api("POST", "/api/v1/users/" + u.id + "/disable", {}); flash("账号已停用 (disabled): " + u.username); await reload();
    });
    act("[data-enable]", async (u) => { await api("POST", "/api/v1/users/" + u.id + "/enable", {}); flash("账号已启用 (enabled): " + u.username); await reload(); });
    act("[data-force]", async (u) => { await api("POST", "/api/v1/users/" + u.id + "/force-password-change", {}); flash(u.username + " 下次登录须修改密码 (must change at next sign-in)"); await reload(); });
    act("[data-reset]", async (u) => {
      if (!confirm("为 " + u.username + " 生成一次性重置码？旧的重置码失效。\nMake a one-time reset code? Older codes stop working.")) return;
      const r = await api("POST", "/api/v1/users/" + u.id + "/reset-password", {});
      const el = body.querySelector("#once");
      el.innerHTML = '<div class="editor"><h2>' + bi("一次性重置码（只显示这一次） One-time reset code (shown once)") + "</h2><p>" +
        bi("请当面或电话交给 " + u.display_name + "，" + when(r.expires_at) + " 前有效，只能用一次。 Hand it to the user in person or by phone; valid once, until the time shown.") + "</p>" +
        '<p class="secret" id="reset-code">' + esc(r.code) + '</p><p class="secret" id="reset-link">' + esc(r.link) + "</p>" +
        '<button type="button" data-close>' + bi("我已记下 Done") + "</button></div>";
      el.querySelector("[data-close]").addEventListener("click", () => { el.innerHTML = ""; });
    });
  }

  // -- the audit log -----------------------------------------------------------------------------------------
  const ACTIONS = { "": "全部 All", "signin.": "登录 Sign-ins", "signin.failed": "登录失败 Failed sign-ins", "user.": "账号 Accounts",
    "token.": "令牌 Tokens", "window.": "窗口 Windows", "queue.": "业务类型 Queues", "service_item.": "事项 Items",
    "department.": "部门 Departments", "bundle.": "一件事 Bundles", "hall.": "大厅与公告 Halls & notices" };
  async function auditSection() {
    body.innerHTML = '<form class="toolbar" id="audit-filter">' +
      '<label><span>' + bi("操作 Action") + '</span><select name="action">' + Object.entries(ACTIONS).map(([k, v]) => '<option value="' + k + '">' + esc(v) + "</option>").join("") + "</select></label>" +
      '<label><span>' + bi("操作人 Who") + '</span><input name="actor" size="10"></label>' +
      '<label><span>' + bi("从 From") + '</span><input name="since" type="date"></label>' +
      '<label><span>' + bi("到 To") + '</span><input name="until" type="date"></label>' +
      '<label><span>' + bi("内容 Text") + '</span><input name="q" size="12"></label>' +
      '<button type="submit" class="primary">' + bi("查询 Search") + "</button>" +
      '<a id="export-csv" href="#">' + bi("导出CSV Export CSV") + '</a> <a id="export-xlsx" href="#">' + bi("导出Excel Export XLSX") + "</a></form>" +
      '<div id="audit-rows"></div><div class="toolbar" style="margin-top:.6rem"><button type="button" id="audit-more" hidden>' + bi("更早的记录 Older entries") + "</button></div>";
    const form = body.querySelector("#audit-filter"), rowsEl = body.querySelector("#audit-rows"), more = body.querySelector("#audit-more");
    let rows = [], next = null;
    function query() {
      const q = new URLSearchParams();
      for (const k of ["action", "actor", "since", "until", "q"]) if (form[k].value) q.set(k, form[k].value);
      return q;
    }
    function renderRows() {
      rowsEl.innerHTML = table(["时间 Time", "操作人 Who", "来源 From", "操作 Action", "摘要 Summary", "修改前 → 修改后 Before → after"], rows.map(r =>
        '<tr class="audit-row" data-action="' + esc(r.action) + '"><td>' + when(r.at) + "</td><td>" + esc(r.actor || "—") + ' <small class="muted">' + esc(r.role) + "</small></td><td>" + esc(r.address || "—") +
        "</td><td><code>" + esc(r.action) + "</code></td><td>" + esc(r.summary) + '</td><td class="diff">' +
        (r.before ? esc(JSON.stringify(r.before)) + " → " : "") + (r.after ? esc(JSON.stringify(r.after)) : "") + "</td></tr>"));
      more.hidden = !next || rows.length % 100 !== 0;
    }
    async function load(append) {
      const q = query();
      if (append && next) q.set("before_id", next);
      try {
        const d = await api("GET", "/api/v1/audit?" + q.toString());
        rows = append ? rows.concat(d.entries) : d.entries;
        next = d.next_before_id;
        renderRows();
      } catch (e) { flash(errorText(e), true); }
      const qs = query().toString();
      body.querySelector("#export-csv").href = "/api/v1/audit/export?" + qs + (qs ? "&" : "") + "format=csv";
      body.querySelector("#export-xlsx").href = "/api/v1/audit/export?" + qs + (qs ? "&" : "") + "format=xlsx";
    }
    form.addEventListener("submit", (ev) => { ev.preventDefault(); load(false); });
    more.addEventListener("click", () => load(true));
    await load(false);
  }

  // -- wiring -------------------------------------------------------------------------------------------------
  const SECTIONS = { departments: () => modelSection("departments"), items: () => modelSection("items"),
    bundles: () => modelSection("bundles"), queues: () => modelSection("queues"), windows: () => modelSection("windows"),
    checklist: checklistSection, alerts: alertsSection, deadlines: deadlinesSection, notices: noticesSection,
    tokens: tokensSection,
    halls: hallsSection, users: usersSection, audit: auditSection };

  async function reload() {
    try {
      await SECTIONS[SECTION]();
      renderOnce();
      body.dataset.loaded = String(Date.now());
    } catch (e) { flash(errorText(e), true); }
  }

  const pick = document.getElementById("hall-pick");
  if (pick) pick.addEventListener("change", () => {
    const hallSection = ["halls", "users", "audit"].includes(SECTION) ? "windows" : SECTION;
    location.href = "/admin/" + encodeURIComponent(pick.value) + "/" + hallSection;
  });

  reload();
  // Another admin's change (or the CLI's) shows here too: reload when the hall's model changes.
  if (HALL && window.hallops.live && !["users", "audit", "halls"].includes(SECTION)) {
    let timer = null;
    window.hallops.live.connect({ hall: HALL, snapshot: false,
      onEvent(ev) {
        if (ev.type !== "layout.changed" && ev.type !== "alert.rules_changed" && ev.type !== "patrol.checklist_changed") return;
        clearTimeout(timer);
        timer = setTimeout(() => { if (!editorOpen && !body.querySelector("#once .editor, #import-result .import-summary")) reload(); }, 400);
      } });
  }
})();
