import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import './style.css'

document.documentElement.lang = i18n.global.locale.value
createApp(App).use(i18n).use(router).use(ElementPlus).mount('#app')
