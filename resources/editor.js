/*
 * Editor code shared by wasl's node dialogs, in the browser. Node-RED serves a module's
 * top-level resources/ folder to the editor, without a login like its own scripts (static code,
 * no data): this file is /red/resources/wasl/editor.js, and a dialog that uses it names it with
 * <script src="resources/wasl/editor.js"> (relative to the editor, as Node-RED's docs ask). The
 * data it shows comes from the admin API, with the editor's session (GET wasl/providers).
 */
(function () {
  'use strict';
  // A second dialog naming this file loads it again: the first definition stays.
  if (window.waslEditor) return;

  window.waslEditor = {
    /**
     * The schema chooser of wasl-validate and wasl-map: #node-input-schema picks the order (then
     * one of its $defs, #node-input-def) or an operation's input or output (then
     * #node-input-provider and #node-input-operation, the chosen provider's operations).
     */
    schemaChooser: function (node) {
      var defs = $('#node-input-def'), provs = $('#node-input-provider'), ops = $('#node-input-operation');
      var data = { providers: [], orderDefs: [] };
      // The empty choice first, named (in the dialog's language): a map node that takes its
      // expression from the service's definition takes the operation from there too.
      function t(key) { return node._ ? node._(node.type + '.placeholder.' + key) : key; }
      function fromDefinition() { return $('#node-input-source').val() === 'definition'; }
      function empty(kind) { return $('<option>').val('').text(fromDefinition() ? t('fromDefinition') : t(kind)); }
      function show() {
        var kind = $('#node-input-schema').val();
        $('.wasl-order-row').toggle(kind === 'order');
        $('.wasl-op-row').toggle(kind === 'input' || kind === 'output');
      }
      function fillOps() {
        ops.empty().append(empty('operation'));
        data.providers.filter(function (p) { return p.code === provs.val(); }).forEach(function (p) {
          p.operations.forEach(function (o) { ops.append($('<option>').val(o.name).text(o.name)); });
        });
        ops.val(node.operation);
      }
      $.getJSON('wasl/providers', function (d) {
        data = d;
        defs.empty().append($('<option>').val('').text('—'));
        d.orderDefs.forEach(function (x) { defs.append($('<option>').val(x).text(x)); });
        defs.val(node.def);
        provs.empty().append(empty('provider'));
        d.providers.forEach(function (p) { provs.append($('<option>').val(p.code).text(p.code)); });
        provs.val(node.provider);
        fillOps();
      });
      provs.on('change', fillOps);
      $('#node-input-schema').on('change', show);
      // Before the providers have come: the empty choices, named.
      provs.empty().append(empty('provider'));
      ops.empty().append(empty('operation'));
      $('#node-input-source').on('change', function () {
        provs.find('option[value=""]').text(fromDefinition() ? t('fromDefinition') : t('provider'));
        ops.find('option[value=""]').text(fromDefinition() ? t('fromDefinition') : t('operation'));
      });
      show();
    },
  };
})();
