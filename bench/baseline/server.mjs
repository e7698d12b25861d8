// The stack edge-auth replaces, for the benchmark: Express 4 + jsonwebtoken with the seed's
// behaviour. In-memory users and refresh tokens, no password, 20 s HS256 access tokens, and the
// refresh token checked against an array. Not for any other use.
import { randomBytes } from 'node:crypto'
import express from 'express'
import jwt from 'jsonwebtoken'

const ACCESS_TOKEN_SECRET = randomBytes(32).toString('hex')
const REFRESH_TOKEN_SECRET = randomBytes(32).toString('hex')
const users = [] // { name }
let refreshTokens = []

const app = express()
app.use(express.json())

const generateAccessToken = (user) => jwt.sign(user, ACCESS_TOKEN_SECRET, { expiresIn: '20s' })

function authenticateToken(req, res, next) {
  const token = req.headers.authorization?.split(' ')[1]
  if (token == null) return res.sendStatus(401)
  jwt.verify(token, ACCESS_TOKEN_SECRET, (err, user) => {
    if (err) return res.sendStatus(403)
    req.user = user
    next()
  })
}

app.get('/health', (req, res) => res.json({ status: 'ok' }))

app.post('/login', (req, res) => {
  const user = { name: req.body.username }
  if (!users.some((u) => u.name === user.name)) users.push(user)
  const accessToken = generateAccessToken(user)
  const refreshToken = jwt.sign(user, REFRESH_TOKEN_SECRET)
  refreshTokens.push(refreshToken)
  res.json({ accessToken, refreshToken })
})

app.get('/users', authenticateToken, (req, res) => {
  res.json(users.filter((user) => user.name === req.user.name))
})

app.post('/token', (req, res) => {
  const refreshToken = req.body.token
  if (refreshToken == null) return res.sendStatus(401)
  if (!refreshTokens.includes(refreshToken)) return res.sendStatus(403)
  jwt.verify(refreshToken, REFRESH_TOKEN_SECRET, (err, user) => {
    if (err) return res.sendStatus(403)
    res.json({ accessToken: generateAccessToken({ name: user.name }) })
  })
})

app.delete('/logout', (req, res) => {
  refreshTokens = refreshTokens.filter((token) => token !== req.body.token)
  res.sendStatus(204)
})

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  // The parent process reads the port from this line.
  console.log(JSON.stringify({ listening: server.address().port }))
})
