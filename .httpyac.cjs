// Lets httpyac read VS Code REST Client's request variables, such as
// {{login.response.body.$.accessToken}}, so requests.http runs unchanged in both tools.
// httpyac itself stores a named request's parsed body under its name.
const REQUEST_VARIABLE = /\{\{\s*([\w-]+)\.response\.body\.\$\.([\w.]+)\s*\}\}/g

module.exports = {
  configureHooks(api) {
    api.hooks.replaceVariable.addHook(
      'restClientRequestVariables',
      async (text, _type, { variables }) => {
        if (typeof text !== 'string') return text
        return text.replace(REQUEST_VARIABLE, (match, name, path) => {
          const value = path.split('.').reduce((node, key) => node?.[key], variables[name])
          return value === undefined ? match : String(value)
        })
      },
      { before: ['javascript'] },
    )
  },
}
