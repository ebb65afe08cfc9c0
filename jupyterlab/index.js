// The JupyterLab 3.6 application: JupyterLab's own examples/app (v3.6.8) with the same
// extensions, plus `window.jupyterapp` (the started app, as JupyterLab's own Galata tests
// expose it) so a browser test can reach the app's command registry and shell.
import { JupyterLab } from '@jupyterlab/application';

// The webpack public path needs to be set before loading the CSS assets.
import { PageConfig } from '@jupyterlab/coreutils';
// eslint-disable-next-line
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

// Load the CSS assets (build/style.js is written by Build.ensureAssets in webpack.config.js).
const styles = import('./build/style.js');

// These must match the "jupyterlab.extensions" list in package.json, from which webpack.config.js
// copies each extension's schemas and themes to build/.
const extensions = [
  import('@jupyterlab/application-extension'),
  import('@jupyterlab/apputils-extension'),
  import('@jupyterlab/celltags-extension'),
  import('@jupyterlab/codemirror-extension'),
  import('@jupyterlab/completer-extension'),
  import('@jupyterlab/console-extension'),
  import('@jupyterlab/csvviewer-extension'),
  import('@jupyterlab/docmanager-extension'),
  import('@jupyterlab/filebrowser-extension'),
  import('@jupyterlab/fileeditor-extension'),
  import('@jupyterlab/help-extension'),
  import('@jupyterlab/imageviewer-extension'),
  import('@jupyterlab/inspector-extension'),
  import('@jupyterlab/launcher-extension'),
  import('@jupyterlab/mainmenu-extension'),
  import('@jupyterlab/markdownviewer-extension'),
  import('@jupyterlab/mathjax2-extension'),
  import('@jupyterlab/notebook-extension'),
  import('@jupyterlab/rendermime-extension'),
  import('@jupyterlab/running-extension'),
  import('@jupyterlab/settingeditor-extension'),
  import('@jupyterlab/shortcuts-extension'),
  import('@jupyterlab/statusbar-extension'),
  import('@jupyterlab/theme-dark-extension'),
  import('@jupyterlab/theme-light-extension'),
  import('@jupyterlab/toc-extension'),
  import('@jupyterlab/tooltip-extension'),
  import('@jupyterlab/translation-extension'),
  import('@jupyterlab/ui-components-extension')
];

const mimeExtensions = [
  import('@jupyterlab/json-extension'),
  import('@jupyterlab/pdf-extension')
];

window.addEventListener('load', async function () {
  // Make sure the styles have loaded
  await styles;

  const lab = new JupyterLab({
    mimeExtensions: await Promise.all(mimeExtensions)
  });
  lab.registerPluginModules(await Promise.all(extensions));

  /* eslint-disable no-console */
  console.log('Starting app');
  await lab.start();
  await lab.restored;
  window.jupyterapp = lab;
  console.log('JupyterLab started');
});
